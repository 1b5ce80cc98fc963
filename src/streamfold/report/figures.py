"""The build report's plots, as inline SVG text (matplotlib, deterministic ids, no date)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from streamfold.report.build import BuildData

_Draw = Callable[[io.BytesIO], Any]


def svg(draw: _Draw) -> str:
    """The SVG element ``draw`` writes (without the XML prolog), ids fixed by a salt."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "streamfold"
    buf = io.BytesIO()
    draw(buf)
    text = buf.getvalue().decode()
    return text[text.index("<svg") :]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, out: io.BytesIO) -> None:
    fig.tight_layout()
    fig.savefig(out, format="svg", metadata={"Date": None})
    _pyplot().close(fig)


def stage_cycles(rep: dict[str, Any]) -> _Draw:
    """Predicted cycles/frame of each stage, the bottleneck marked, and the measured
    initiation interval as a line."""

    def draw(out: io.BytesIO) -> None:
        plt = _pyplot()
        stages = rep["stages"]
        fig, ax = plt.subplots(figsize=(7, 0.6 + 0.28 * len(stages)))
        names = [s["name"] for s in stages]
        colours = ["tab:orange" if n == rep["bottleneck"] else "tab:blue" for n in names]
        ax.barh(names, [s["cycles_predicted"] for s in stages], color=colours)
        m = rep["measured"]
        if m is not None:
            ax.axvline(m["cycles_per_frame"], color="tab:red", linestyle="--",
                       label=f"measured: {m['cycles_per_frame']:,.1f} cycles/frame")  # fmt: skip
            ax.legend(fontsize=8, loc="lower right")
        ax.invert_yaxis()
        ax.set_xlabel("cycles/frame (predicted; orange: the bottleneck)")
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(True, axis="x", alpha=0.3)
        _save(fig, out)

    return draw


def layer_resources(rep: dict[str, Any]) -> _Draw:
    """LUTs per layer: estimated, and synthesised when there is a per-stage synthesis."""

    def draw(out: io.BytesIO) -> None:
        import numpy as np

        plt = _pyplot()
        layers = rep["layers"]
        fig, ax = plt.subplots(figsize=(7, 0.6 + 0.32 * len(layers)))
        y = np.arange(len(layers))
        synth = [r["synthesised"] for r in layers]
        both = all(s is not None for s in synth)
        h = 0.4 if both else 0.8
        ax.barh(y - (h / 2 if both else 0), [r["estimate"]["lut"] for r in layers], h,
                label="estimated", color="tab:blue")  # fmt: skip
        if both:
            ax.barh(y + h / 2, [s["lut"] for s in synth], h, label="synthesised (Yosys)",
                    color="tab:green")  # fmt: skip
        ax.set_yticks(y, [r["name"] for r in layers], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("LUTs")
        ax.legend(fontsize=8, loc="lower right")
        ax.grid(True, axis="x", alpha=0.3)
        _save(fig, out)

    return draw


def search_plots(data: BuildData) -> dict[str, _Draw]:
    """The Pareto front of the build's graph with this build on it, and the roofline."""
    from streamfold.dse.plots import pareto_png, roofline_png, roofs_of
    from streamfold.dse.report import merge_front
    from streamfold.dse.roofline import workload
    from streamfold.dse.search import Choice, Space, pareto

    est = data.estimate
    graph, dev, clock = data.design.graph, est.device, est.clock_mhz
    space = Space(graph, dev)
    this = Choice(data.design.point, est)
    front = merge_front(pareto(graph, dev, clock, space=space), ())
    title = f"{data.build_dir.name} on {dev.name} at {clock:g} MHz"
    roofs = roofs_of(graph, space, clock)
    work = workload(graph)
    return {
        "Pareto front (estimates), this build marked": lambda out: pareto_png(
            out, front, this, None, title, chosen_label="this build"
        ),
        "Roofline: this build and the front": lambda out: roofline_png(
            out, roofs, work, (*front, this), title
        ),
    }
