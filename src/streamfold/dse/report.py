"""Plain-text reports of the folding search (``streamfold explore``)."""

from __future__ import annotations

from streamfold.cost.resources import estimate_table
from streamfold.dse.search import Choice


def choice_report(choice: Choice, goal: str) -> str:
    """Per layer folding, cycles and resources, the bottleneck, and why it is not faster."""
    b = choice.estimate.pipeline.bottleneck
    rows = [
        f"goal {goal}: {choice.frames_per_second:,.0f} frames/s, {choice.luts:,} LUTs",
        "",
        estimate_table(choice.estimate),
        "",
        f"bottleneck: {b.name} ({b.cycles} cycles/frame); why not faster: {choice.reason}",
    ]
    return "\n".join(rows)


def front_report(front: tuple[Choice, ...]) -> str:
    """The Pareto front, fewest LUTs first."""
    if not front:
        return "pareto: no design point in the given interval range"
    est = front[0].estimate
    unit = est.device.family.bram_unit
    rows = [
        f"pareto front on {est.device.name} at {est.clock_mhz:g} MHz ({len(front)} points)",
        "",
        f"{'cycles/frame':>12}{'frames/s':>14}{'LUT':>9}{'FF':>9}{unit:>9}  bottleneck",
    ]
    for c in front:
        t = c.estimate.total
        rows.append(
            f"{c.interval:>12}{c.frames_per_second:>14,.0f}{t.lut:>9}{t.ff:>9}{t.bram:>9}  "
            f"{c.estimate.pipeline.bottleneck.name}"
        )
    return "\n".join(rows)
