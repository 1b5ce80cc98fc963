"""Plots of the folding search (``streamfold explore --plot DIR``, build reports), matplotlib Agg.

Each function draws into ``target``: a path (the format from its suffix, .png or .svg) or a
binary file object (SVG), so that a report can embed the figure.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import IO, Any

from streamfold.dse.roofline import PRECISIONS, Roof, Workload, place, roof, workload
from streamfold.dse.search import Choice, Space, pareto
from streamfold.ir.graph import Graph
from streamfold.ir.ops import Mvau

Target = Path | IO[bytes]

# Colour per (weight bits, act bits): a roof and the points at its precision share one.
_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink")
PRECISION_COLOURS: dict[tuple[int, int], str] = dict(zip(PRECISIONS, _COLOURS, strict=True))
_OTHER = "tab:gray"


def precision_colour(weight_bits: int, act_bits: int) -> str:
    return PRECISION_COLOURS.get((weight_bits, act_bits), _OTHER)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pareto_png(
    target: Target,
    front: tuple[Choice, ...],
    chosen: Choice | None,
    baseline: Choice | None,
    title: str,
    chosen_label: str = "chosen",
) -> Target:
    """Frames/s vs LUTs: the front, the chosen point and the SetFolding baseline."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    draw_pareto(ax, front, chosen, baseline, chosen_label)
    return _save(plt, fig, ax, target, title, legend_size=8)


def draw_pareto(
    ax: Any,
    front: tuple[Choice, ...],
    chosen: Choice | None,
    baseline: Choice | None,
    chosen_label: str = "chosen",
) -> None:
    """The Pareto plot on ``ax``. The axes span the points drawn (not the whole device, whose
    LUT count is drawn only when near them), so a small design's front is readable."""
    ax.step([c.luts for c in front], [c.frames_per_second for c in front], where="post",
            marker="o", markersize=3, label="Pareto front (ours)")  # fmt: skip
    if chosen is not None:
        ax.scatter([chosen.luts], [chosen.frames_per_second], s=80, c="tab:green", zorder=3,
                   label=f"{chosen_label}: {chosen.frames_per_second:,.0f} frames/s")  # fmt: skip
    if baseline is not None:
        ax.scatter([baseline.luts], [baseline.frames_per_second], s=80, marker="x",
                   c="tab:red", zorder=3, label="SetFolding (FINN) at the same target")  # fmt: skip
    drawn = [*front, *(c for c in (chosen, baseline) if c is not None)]
    ax.set_ylabel("frames/s")
    ax.set_yscale("log")
    if not drawn:
        ax.set_xlabel("LUTs (estimate)")
        return
    dev = drawn[0].estimate.device
    lo, hi = pareto_limits([c.luts for c in drawn])
    if dev.luts <= hi * 1.5:  # the device's edge, when it is near the points
        ax.axvline(dev.luts, color="grey", linestyle=":", label=f"{dev.name} LUTs")
        hi = max(hi, dev.luts * 1.05)
    ax.set_xlim(lo, hi)
    ax.set_xlabel(f"LUTs (estimate; {dev.name} has {dev.luts:,})")


def pareto_limits(luts: list[int]) -> tuple[float, float]:
    """x limits around ``luts``: 8 % of their span (or of a quarter of the largest) on
    either side, never below 0."""
    lo, hi = min(luts), max(luts)
    pad = 0.08 * max(hi - lo, 0.25 * hi, 1)
    return max(0.0, lo - pad), hi + pad


def roofline_png(
    target: Target,
    roofs: tuple[Roof, ...],
    work: Workload,
    points: tuple[Choice, ...],
    title: str,
) -> Target:
    """Ops/s vs operational intensity (ops per weight byte), see ``draw_roofline``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    draw_roofline(ax, roofs, work, points)
    return _save(plt, fig, ax, target, title, legend_size=7)


def draw_roofline(
    ax: Any, roofs: tuple[Roof, ...], work: Workload, points: tuple[Choice, ...]
) -> None:
    """Each precision's compute roof in its colour (``PRECISION_COLOURS``), the off-chip
    memory roof, and the design points in the colour of their precision, ``roofs[0]``."""
    import numpy as np

    xs = np.logspace(-1, 4, 200)
    bandwidth = roofs[0].bandwidth if roofs else None
    if bandwidth is not None:
        ax.plot(xs, bandwidth * xs, "k--", linewidth=1, label="off-chip memory roof")
    for i, r in enumerate(roofs):
        top = r.compute_ops if bandwidth is None else np.minimum(r.compute_ops, bandwidth * xs)
        ax.plot(xs, np.broadcast_to(top, xs.shape), color=precision_colour(r.weight_bits,
                r.act_bits), linewidth=2.0 if i == 0 else 1.0,
                label=f"W{r.weight_bits}A{r.act_bits} roof")  # fmt: skip
    if roofs and points:
        own = roofs[0]
        placed = [place(c, work, own) for c in points]
        ax.scatter([p.intensity for p in placed], [p.ops_per_second for p in placed], s=18,
                   c=precision_colour(own.weight_bits, own.act_bits), edgecolors="black",
                   linewidths=0.5, zorder=3, label=f"design points (W{own.weight_bits}"
                   f"A{own.act_bits})")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("operational intensity (ops per weight byte)")
    ax.set_ylabel("ops/s")


def _save(plt: Any, fig: Any, ax: Any, target: Target, title: str, legend_size: int) -> Target:
    """Title, log grid and legend, then the figure (PNG at 120 dpi, or SVG); closed."""
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=legend_size)
    fig.tight_layout()
    if isinstance(target, Path):
        fig.savefig(target, dpi=120)
    else:
        fig.savefig(target, format="svg", metadata={"Date": None})
    plt.close(fig)
    return target


def graph_bits(graph: Graph) -> tuple[int, int]:
    """(weight bits, input bits) of most matrix-vector layers (the first layer's 8-bit image
    input does not set a network's precision); (1, 1) when there are none."""
    bits = Counter(
        (node.op.weight_dtype.bits, graph.value(node.inputs[0]).dtype.bits)
        for node in graph.nodes
        if isinstance(node.op, Mvau)
    )
    if not bits:
        return 1, 1
    return max(sorted(bits), key=lambda b: bits[b])


def roofs_of(graph: Graph, space: Space, clock_mhz: float) -> tuple[Roof, ...]:
    """The graph's own precision's roof first, then the other precisions'."""
    bits = graph_bits(graph)
    dev = space.device
    own = roof(dev, *bits, clock_mhz)
    return (own, *(roof(dev, w, a, clock_mhz) for w, a in PRECISIONS if (w, a) != bits))


def explore_plots(
    plot_dir: Path,
    model: str,
    graph: Graph,
    space: Space,
    clock_mhz: float,
    chosen: Choice | None,
    front: tuple[Choice, ...] | None,
) -> tuple[Path, Path]:
    """``plot_dir``/pareto.png and roofline.png of an exploration; the front includes
    ``chosen`` (a point it would dominate is dropped)."""
    from streamfold.dse.report import merge_front, setfolding_baseline
    from streamfold.errors import StreamfoldError

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise StreamfoldError(
            "explore: --plot needs matplotlib (pip install 'matplotlib>=3.8'), and it is missing"
        ) from None
    dev = space.device
    if front is None:
        front = pareto(graph, dev, clock_mhz, space=space)
    if chosen is not None:
        front = merge_front(front, (chosen,))
    baseline = setfolding_baseline(chosen, space)[0] if chosen is not None else None
    plot_dir.mkdir(parents=True, exist_ok=True)
    name = Path(model).stem if not model.startswith("builtin:") else model.split(":", 1)[1]
    title = f"{name} on {dev.name} at {clock_mhz:g} MHz"
    p1 = pareto_png(plot_dir / "pareto.png", front, chosen, baseline, title)
    points = tuple(front) + ((chosen,) if chosen is not None else ())
    roofs = roofs_of(graph, space, clock_mhz)
    p2 = roofline_png(plot_dir / "roofline.png", roofs, workload(graph), points, title)
    assert isinstance(p1, Path) and isinstance(p2, Path)
    return p1, p2
