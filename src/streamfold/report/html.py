"""The build report as one self-contained HTML page (tables, inline SVG plots, no scripts)."""

from __future__ import annotations

from html import escape
from typing import Any

_RES = ("lut", "ff", "lutram", "bram", "dsp")

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 92em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f2f2f2; } td.l, th.l { text-align: left; }
tr.bottleneck td { background: #fff1d6; font-weight: 600; }
.summary td:first-child { text-align: left; color: #555; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; } .plots figure { margin: 0; }
.plots svg { width: 44em; height: auto; } .note { color: #666; font-size: 0.85em; }
"""


def _cell(value: Any, left: bool = False) -> str:
    if value is None:
        text = "–"
    elif isinstance(value, float):
        text = f"{value:,.1f}"
    elif isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,}"
    else:
        text = str(value)
    return f'<td class="l">{escape(text)}</td>' if left else f"<td>{escape(text)}</td>"


def _head(*names: str, left: int = 1) -> str:
    cells = "".join(
        f'<th class="l">{escape(n)}</th>' if i < left else f"<th>{escape(n)}</th>"
        for i, n in enumerate(names)
    )
    return f"<tr>{cells}</tr>"


def _res_cells(r: dict[str, int] | None) -> str:
    return "".join(_cell(None if r is None else r[k]) for k in _RES)


def _summary(rep: dict[str, Any]) -> str:
    p, m, s = rep["predicted"], rep["measured"], rep["synthesis"]
    synth_luts = "–" if s is None else f"{s['flat']['lut']:,}"
    rows = [
        ("device, clock", f"{rep['device']}, {rep['clock_mhz']:g} MHz"),
        ("bottleneck", rep["bottleneck"]),
        ("cycles/frame predicted", p["cycles_per_frame"]),
        ("cycles/frame measured", None if m is None else m["cycles_per_frame"]),
        ("first output word, cycle: predicted / measured",
         f"{p['latency_cycles']:,} / {'–' if m is None else format(m['first_output_cycle'], ',')}"),
        ("frames/s predicted", f"{p['frames_per_second']:,.0f}"),
        ("LUTs estimated / synthesised (flat)",
         f"{rep['estimate_total']['lut']:,} / {synth_luts}"),
    ]  # fmt: skip
    if m is not None:
        rows.append(("RTL simulation", f"{m['frames']} frames, stall probability {m['stall']:g}"))
    if s is not None:
        rows.append(("synthesis", f"Yosys for {s['device']} ({s['family']})"))
        if s["fmax_mhz"] is not None:
            rows.append(("Fmax (nextpnr)", f"{s['fmax_mhz']:.1f} MHz"))
    body = "".join(f"<tr>{_cell(k, True)}{_cell(v)}</tr>" for k, v in rows)
    return f'<table class="summary">{body}</table>'


def _layers(rep: dict[str, Any]) -> str:
    names = ("LUT", "FF", "LUTRAM", "BRAM", "DSP")
    resources = [f"{n} est." for n in names] + [f"{n} synth." for n in names]
    head = _head("layer", "op", "PE", "SIMD", "mem style", "cycles/frame", *resources, left=2)
    rows = []
    for layer in rep["layers"]:
        cls = ' class="bottleneck"' if layer["bottleneck"] else ""
        rows.append(
            f"<tr{cls}>{_cell(layer['name'], True)}{_cell(layer['op'], True)}"
            f"{_cell(layer['pe'])}{_cell(layer['simd'])}{_cell(layer['mem_style'], True)}"
            f"{_cell(layer['cycles_predicted'])}{_res_cells(layer['estimate'])}"
            f"{_res_cells(layer['synthesised'])}</tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _stages(rep: dict[str, Any]) -> str:
    head = _head("stage", "kind", "layer", "cycles/frame", "first output (cycle) predicted",
                 "first output (cycle) measured", "LUT est.", "LUT synth.", "FF est.",
                 "FF synth.", left=3)  # fmt: skip
    rows = []
    for s in rep["stages"]:
        cls = ' class="bottleneck"' if s["name"] == rep["bottleneck"] else ""
        synth = s["synthesised"] or {}
        rows.append(
            f"<tr{cls}>{_cell(s['name'], True)}{_cell(s['kind'], True)}"
            f"{_cell(s['layer'], True)}{_cell(s['cycles_predicted'])}"
            f"{_cell(s['first_output_predicted'])}{_cell(s['first_output_measured'])}"
            f"{_cell(s['estimate']['lut'])}{_cell(synth.get('lut'))}"
            f"{_cell(s['estimate']['ff'])}{_cell(synth.get('ff'))}</tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _notes(rep: dict[str, Any]) -> str:
    notes = []
    if rep["measured"] is None:
        notes.append("No RTL measurement: run <code>streamfold sim BUILD_DIR --rtl</code>.")
    s = rep["synthesis"]
    if s is None:
        notes.append("No synthesis: run <code>streamfold synth BUILD_DIR</code>.")
    elif s["sum_of_stages"] is not None:
        notes.append(
            f"Synthesised per layer/stage: a second, hierarchical Yosys run; its stages sum to "
            f"{s['sum_of_stages']['lut']:,} LUTs, the flat netlist has {s['flat']['lut']:,} "
            "(flattening optimises across stage boundaries)."
        )
    return "".join(f'<p class="note">{n}</p>' for n in notes)


def render(rep: dict[str, Any], plots: dict[str, str]) -> str:
    """The page: summary, per layer, per stage, plots (``plots``: title -> inline SVG)."""
    figures = "".join(
        f"<figure>{svg}<figcaption>{escape(title)}</figcaption></figure>"
        for title, svg in plots.items()
    )
    title = f"streamfold build report: {rep['build_dir']}"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>{_summary(rep)}{_notes(rep)}"
        f"<h2>Per layer</h2>{_layers(rep)}<h2>Per stage</h2>{_stages(rep)}"
        f'<h2>Plots</h2><div class="plots">{figures}</div>'
        f'<p class="note">streamfold {escape(rep["streamfold"])}; data in report.json</p>'
        "</body></html>\n"
    )
