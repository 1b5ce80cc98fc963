"""Several samples per cycle in the search: the ``samples=N`` design points (docs/mmv.md).

A folding of one pixel per word stops at the structural ceiling (``dse.ceiling``): a sliding
window emits at most one pixel's window per cycle. Where the blocks take multi-pixel words the
``samples=N`` preset (``design_point.for_samples``, on the graph ``preset_graph`` builds, its
1-D "same" Pads folded into their windows) goes below it, N pixels per word. The searches
(``dse.search``) take these points as candidates beyond the ceiling: N = 2, 4, 8, ... up to
``MAX_SAMPLES``, each design estimated whole (``dse.choice.whole_choice``: stitched on the
folded graph; Fmax predicted), in the memory style with the fewest LUTs. ``samples=N`` puts the
nodes that take one pixel per word (padding, pooling, fully connected layers) at their fastest
folding; the search also tries them at the fewest lanes keeping up with the design's interval
(``for_cycles``), and keeps the cheaper.

The ladder stops at the first N that ``for_samples`` refuses (N must divide every multi-pixel
node's width: then so does no larger power of two), that is no faster than the one before (a
node of one pixel per word sets the interval), or that does not fit the device at all (every
multi-pixel node is N copies of its unit, so a larger N takes more of every resource).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from streamfold.cost.devices import Device
from streamfold.dse.ceiling import ceiling
from streamfold.dse.choice import Choice, over_budget, whole_choice
from streamfold.dse.design_point import (
    folding_preset,
    for_cycles,
    preset_graph,
    with_fifos,
    with_fork_fifos,
)
from streamfold.errors import FoldingError
from streamfold.hw.block import MemStyle
from streamfold.ir.graph import Graph

if TYPE_CHECKING:
    from streamfold.dse.design_point import DesignPoint

MAX_SAMPLES = 64  # samples per word the search tries at most (powers of two from 2)


@dataclass(frozen=True)
class Rung:
    """``samples=N``: its cheapest design (``choice``), or why there is none (``why``)."""

    samples: int
    choice: Choice | None
    why: str = ""


def ladder(
    graph: Graph, dev: Device, clock_mhz: float, styles: frozenset[MemStyle]
) -> Iterator[Rung]:
    """``samples=2, 4, ...`` of kernel graph ``graph``: each rung's design while each is
        faster than the last (the first than the structural ceiling); a last rung without a
        design says why the ladder stops (none when ``MAX_SAMPLES`` is reached). Yields nothing
        for a graph that takes no multi-pixel words: no node does, or ``samples=2`` is refused
        (a width not even: then so is every larger power of two). Each point has the FIFOs
    ``samples=N`` gives it (``folding_preset``: fork FIFOs sized where the graph branches)."""
    folded = preset_graph(graph, "samples=2")
    previous = ceiling(graph).cycles
    n = 2
    while n <= MAX_SAMPLES:
        points, refused = _points(folded, n, styles)
        if not points:
            if n > 2:  # at N = 2: the graph takes no multi-pixel words (nor any larger N)
                yield Rung(n, None, refused)
            return
        if all(f.mmv == 1 for _, f in points[0].nodes):
            return  # no node takes multi-pixel words: nothing beyond the one-pixel designs
        choices = [whole_choice(folded, p, dev, clock_mhz) for p in points]
        choices += [_relaxed(folded, c, dev, clock_mhz) for c in choices]
        choice = min(choices, key=lambda c: (c.luts, c.estimate.total.bram, c.interval))
        if choice.interval >= previous:
            b = choice.estimate.pipeline.bottleneck
            why = f"no faster ({choice.interval:,} cycles/frame, set by {b.name})"
            yield Rung(n, None, why)
            return
        yield Rung(n, choice)
        if over_budget(choice.estimate, 1.0) is not None:
            return
        previous, n = choice.interval, 2 * n


def _relaxed(graph: Graph, choice: Choice, dev: Device, clock_mhz: float) -> Choice:
    """``choice`` (a ``samples=N`` design) with every node of one pixel per word (padding,
    pooling, a fully connected layer, ...) at the fewest lanes keeping up with its interval
    (``for_cycles``), where ``samples=N`` puts it at its fastest folding; ``choice`` itself
    when that would be slower."""
    style = next(f.mem_style for _, f in choice.point.nodes if f.mmv > 1)
    slow = dict(for_cycles(graph, choice.interval, style).nodes)
    nodes = tuple((n, f if f.mmv > 1 else slow[n]) for n, f in choice.point.nodes)
    point = with_fork_fifos(graph, with_fifos(graph, replace(choice.point, nodes=nodes)))
    relaxed = whole_choice(graph, point, dev, clock_mhz)
    return relaxed if relaxed.interval <= choice.interval else choice


def _points(graph: Graph, n: int, styles: frozenset[MemStyle]) -> tuple[list[DesignPoint], str]:
    """``samples=n`` in each memory style of ``styles`` it is legal in (in a fixed order), and
    why it is refused (the FoldingError of the last style refused)."""
    points, refused = [], ""
    for style in (s for s in MemStyle if s in styles):
        try:
            points.append(folding_preset(graph, f"samples={n}", style))
        except FoldingError as e:
            refused = str(e)
    return points, refused
