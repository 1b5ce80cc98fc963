"""PNG plots of the folding search (``streamfold explore --plot DIR``), with matplotlib (Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamfold.dse.roofline import Roof, Workload, place
from streamfold.dse.search import Choice


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pareto_png(
    path: Path,
    front: tuple[Choice, ...],
    chosen: Choice | None,
    baseline: Choice | None,
    title: str,
) -> Path:
    """Frames/s vs LUTs: the front, the chosen point and the SetFolding baseline."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.step(
        [c.luts for c in front],
        [c.frames_per_second for c in front],
        where="post",
        marker="o",
        markersize=3,
        label="Pareto front (ours)",
    )
    if chosen is not None:
        ax.scatter([chosen.luts], [chosen.frames_per_second], s=80, c="tab:green", zorder=3,
                   label=f"chosen: {chosen.frames_per_second:,.0f} frames/s")  # fmt: skip
    if baseline is not None:
        ax.scatter([baseline.luts], [baseline.frames_per_second], s=80, marker="x",
                   c="tab:red", zorder=3, label="SetFolding (FINN) at the same target")  # fmt: skip
    if front:
        dev = front[0].estimate.device
        ax.axvline(dev.luts, color="grey", linestyle=":", label=f"{dev.name} LUTs")
    ax.set_xlabel("LUTs (estimate)")
    ax.set_ylabel("frames/s")
    ax.set_yscale("log")
    return _save(plt, fig, ax, path, title, legend_size=8)


def roofline_png(
    path: Path, roofs: tuple[Roof, ...], work: Workload, points: tuple[Choice, ...], title: str
) -> Path:
    """Ops/s vs operational intensity (ops per weight byte): each precision's compute roof,
    the off-chip memory roof, the network's intensity and the design points."""
    import numpy as np

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    xs = np.logspace(-1, 4, 200)
    bandwidth = roofs[0].bandwidth if roofs else None
    if bandwidth is not None:
        ax.plot(xs, bandwidth * xs, "k--", linewidth=1, label="off-chip memory roof")
    for r in roofs:
        top = r.compute_ops if bandwidth is None else np.minimum(r.compute_ops, bandwidth * xs)
        ax.plot(xs, np.broadcast_to(top, xs.shape), label=f"W{r.weight_bits}A{r.act_bits} roof")
    if roofs and points:
        own = roofs[0]
        placed = [place(c, work, own) for c in points]
        ax.scatter([p.intensity for p in placed], [p.ops_per_second for p in placed], s=14,
                   c="tab:green", zorder=3, label=f"design points (W{own.weight_bits}"
                   f"A{own.act_bits})")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("operational intensity (ops per weight byte)")
    ax.set_ylabel("ops/s")
    return _save(plt, fig, ax, path, title, legend_size=7)


def _save(plt: Any, fig: Any, ax: Any, path: Path, title: str, legend_size: int) -> Path:
    """Title, log grid and legend, then the PNG at 120 dpi; the figure is closed."""
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=legend_size)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
