"""Plain-text reports of the folding search (``streamfold explore``)."""

from __future__ import annotations

from streamfold.cost.design_cost import estimate_table
from streamfold.dse.search import Choice, Space, evaluate
from streamfold.dse.setfolding import set_folding
from streamfold.hw.block import MemStyle


def choice_report(choice: Choice, goal: str) -> str:
    """Per layer folding, cycles and resources, the bottleneck, and why it is not faster."""
    b = choice.estimate.pipeline.bottleneck
    words = f", {choice.samples} samples per word (samples={choice.samples})"
    rows = [
        f"goal {goal}: {choice.frames_per_second:,.0f} frames/s, {choice.luts:,} LUTs"
        + (words if choice.samples > 1 else ""),
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
        f"{'cycles/frame':>12}{'frames/s':>14}{'samples':>8}{'LUT':>9}{'FF':>9}{unit:>9}"
        "  bottleneck",
    ]
    for c in front:
        t = c.estimate.total
        rows.append(
            f"{c.interval:>12}{c.frames_per_second:>14,.0f}{c.samples:>8}{t.lut:>9}{t.ff:>9}"
            f"{t.bram:>9}  {c.estimate.pipeline.bottleneck.name}"
        )
    return "\n".join(rows)


def per_klut(choice: Choice) -> float:
    """Frames/s per thousand LUTs."""
    return choice.frames_per_second / (choice.luts / 1000)


def setfolding_baseline(choice: Choice, space: Space) -> tuple[Choice, tuple[Choice, ...]]:
    """FINN+'s SetFolding with ``choice``'s interval as its target (a layer is accepted at
    cycles <= target), with LUT RAM and with block RAM for every node: (the one with more
    frames/s per kLUT, both)."""
    graph, dev = space.graph, space.device
    clock = choice.estimate.clock_mhz
    both = tuple(
        evaluate(
            graph,
            set_folding(graph, choice.interval, style, params=space.params),
            dev,
            clock,
            space,
        )
        for style in (MemStyle.DISTRIBUTED, MemStyle.BLOCK)
    )
    return max(both, key=per_klut), both


def baseline_report(choice: Choice, space: Space) -> str:
    """Frames/s per kLUT of ``choice`` and of SetFolding at the same target."""
    _, both = setfolding_baseline(choice, space)
    rows = [
        f"vs FINN+'s SetFolding at the same target ({choice.interval} cycles/frame, "
        "reached at or below):",
        f"{'':<28}{'cycles/frame':>13}{'frames/s':>12}{'LUT':>9}"
        f"{space.device.family.bram_unit:>8}{'frames/s per kLUT':>19}{'ours / it':>11}",
    ]
    ours = per_klut(choice)
    labelled = (
        ("ours", choice),
        ("SetFolding, LUT RAM", both[0]),
        ("SetFolding, block RAM", both[1]),
    )
    for label, c in labelled:
        ratio = "" if c is choice else f"{ours / per_klut(c):>10.2f}x"
        rows.append(
            f"{label:<28}{c.interval:>13}{c.frames_per_second:>12,.0f}{c.luts:>9,}"
            f"{c.estimate.total.bram:>8}{per_klut(c):>19,.0f}{ratio:>11}"
        )
    if choice.samples > 1:
        rows.append(
            f"(SetFolding folds one pixel per word: at best {both[0].interval:,} cycles/frame; "
            f"ours takes {choice.samples} samples per word)"
        )
    return "\n".join(rows)


def merge_front(front: tuple[Choice, ...], extra: tuple[Choice, ...]) -> tuple[Choice, ...]:
    """The Pareto front of ``front`` and ``extra`` together (for example the max-fps design,
    found by a finer search than the front's), fewest LUTs first: walking from the fewest
    cycles/frame, a point is kept only when it has strictly fewer LUTs than every faster one,
    so no point left is dominated (as fast or faster, with as few LUTs or fewer) by another."""
    pool = sorted((*front, *extra), key=lambda c: (c.interval, c.luts))
    kept: list[Choice] = []
    for c in pool:
        if not kept or (c.interval > kept[-1].interval and c.luts < kept[-1].luts):
            kept.append(c)
    return tuple(sorted(kept, key=lambda c: c.luts))
