"""Reports: text tables for the CLI, and the build report (``write_report``: report.html and
report.json in a build directory)."""

from __future__ import annotations

import json
from pathlib import Path

from streamfold import progress

__all__ = ["REPORT_HTML", "REPORT_JSON", "write_report"]

REPORT_HTML = "report.html"
REPORT_JSON = "report.json"


def write_report(
    build_dir: Path,
    *,
    device: str | None = None,
    clock_mhz: float = 100.0,
    search: bool = True,
) -> Path:
    """Write ``report.html`` and ``report.json`` into ``build_dir``; the HTML's path.

    Per layer and stage: folding, cycles predicted (and measured, after ``sim --rtl``),
    resources estimated for ``device`` (default: the device it was synthesised for, else
    xc7z020) and synthesised (after ``synth``), the bottleneck, and
    plots: cycles per stage, LUTs per layer and, with ``search``, the Pareto front and the
    roofline with this build on them (a folding search: seconds on large networks)."""
    from streamfold.report.build import load_build, report_json
    from streamfold.report.figures import layer_resources, search_plots, stage_cycles, svg
    from streamfold.report.html import render

    build_dir = Path(build_dir)
    with progress.phase(f"report: read and estimate {build_dir}"):
        data = load_build(build_dir, device, clock_mhz)
        rep = report_json(data)
    draws = {
        "Cycles per frame of each stage": stage_cycles(rep),
        "LUTs per layer": layer_resources(rep),
    }
    if search:
        with progress.phase("report: folding search for the Pareto front"):
            draws.update(search_plots(data))
    with progress.phase("report: plots"):
        plots = {title: svg(draw) for title, draw in draws.items()}
    (build_dir / REPORT_JSON).write_text(json.dumps(rep, indent=2) + "\n")
    html = build_dir / REPORT_HTML
    html.write_text(render(rep, plots))
    return html
