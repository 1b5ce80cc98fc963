"""Folding search against a device: ``max-fps``, ``min-resources`` and the ``pareto`` front.

Only the blocks' legal-folding enumerations and the cost models are used (no tools in the loop).

Algorithm. A chain's initiation interval is the slowest stage's cycles, so for a candidate
interval T (one of the distinct cycle counts of all legal foldings of all nodes) each node can
be chosen independently: the cheapest legal folding (by estimated LUTs, then BRAM, then FFs)
whose cycles are at most T, over every memory style the block offers. The per-node costs are
the kernels' own estimates; every design that is returned is re-estimated whole (kernels,
width converters and FIFOs, ``cost.resources.estimate_design``), and that whole estimate is
what is checked against the device and reported.

- ``min-resources``: T = the largest candidate interval reaching the frames/s at the clock.
- ``max-fps``: the smallest T whose design fits (binary search over the candidates: the
  cheapest LUTs at T never rise as T grows, since the legal sets are nested).
- ``pareto``: every candidate T, then the designs no other design beats on both frames/s and
  LUTs, so that more LUTs always buy strictly more frames/s.

Pruning (for speed; resource estimates of wide layers cost milliseconds each): at T, a node
only considers foldings with more than ``T_slowest / 2`` cycles, where ``T_slowest`` is its
slowest legal folding meeting T. A folding more than twice as fast has at least twice the
lanes the interval needs, and every calibrated compute feature grows with lanes. On TFC-W1A1
the pruned choice equals the unpruned one at all 43 candidate intervals (docs/benchmarks.md).
``Space(styles=...)`` restricts the memory styles (all of them by default).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from streamfold.cost.devices import Device
from streamfold.cost.resources import DesignEstimate, block_cost_module, estimate_design
from streamfold.dse.design_point import DesignPoint, with_fifos
from streamfold.errors import FoldingError, ResourceError
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.registry import block_of
from streamfold.ir.graph import Graph
from streamfold.synth.resources import Resources

DEFAULT_LUT_CAP = 0.7  # FINN-R: designs are sized to 70 % of the LUTs


class Goal(enum.Enum):
    MAX_FPS = "max-fps"
    MIN_RESOURCES = "min-resources"
    PARETO = "pareto"


@dataclass(frozen=True)
class _Node:
    """One kernel node: its block, parameters and legal foldings with their cycles."""

    name: str
    block: Any
    params: Any
    options: tuple[tuple[NodeFolding, int], ...]  # (folding, cycles), slowest first


@dataclass
class Space:
    """The search space of a graph: per node the legal foldings; resource estimates cached."""

    graph: Graph
    device: Device
    styles: frozenset[MemStyle] = frozenset(MemStyle)  # memory styles the search may use
    nodes: tuple[_Node, ...] = field(init=False)
    _cache: dict[tuple[str, NodeFolding], Resources] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        nodes = []
        for node in self.graph.nodes:
            block = block_of(node)
            params = block.params(self.graph, node)
            legal = (f for f in block.foldings(params) if f.mem_style in self.styles)
            opts = [(f, int(block.cycles(params, f))) for f in legal]
            if not opts:
                styles = ", ".join(sorted(m.value for m in self.styles))
                raise FoldingError(f"{node.name}: has no legal folding with memory style {styles}")
            opts.sort(key=lambda o: (-o[1], o[0].pe * o[0].simd, o[0].pe))
            nodes.append(_Node(node.name, block, params, tuple(opts)))
        self.nodes = tuple(nodes)

    def resources(self, node: _Node, folding: NodeFolding) -> Resources:
        key = (node.name, folding)
        if key not in self._cache:
            module = block_cost_module(node.block)
            self._cache[key] = module.resources(node.params, folding, self.device.family)
        return self._cache[key]

    def intervals(self) -> tuple[int, ...]:
        """Candidate intervals, fastest first: every node's cycle counts no node must exceed."""
        floor = max(min(c for _, c in n.options) for n in self.nodes)
        return tuple(sorted({c for n in self.nodes for _, c in n.options if c >= floor}))

    def cheapest(self, node: _Node, interval: int) -> NodeFolding:
        meets = [(f, c) for f, c in node.options if c <= interval]
        assert meets, f"{node.name}: interval {interval} below the node's fastest folding"
        slowest = meets[0][1]
        pool = [f for f, c in meets if 2 * c > slowest]

        def key(f: NodeFolding) -> tuple[int, int, int, int]:
            r = self.resources(node, f)
            return (r.lut, r.bram, r.ff, f.pe * f.simd)

        return min(pool, key=key)

    def kernel_luts(self, interval: int) -> int:
        return sum(self.resources(n, self.cheapest(n, interval)).lut for n in self.nodes)

    def point(self, interval: int) -> DesignPoint:
        """The cheapest design point at ``interval``, with FIFO depths by the preset rule."""
        chosen = tuple((n.name, self.cheapest(n, interval)) for n in self.nodes)
        return with_fifos(self.graph, DesignPoint(chosen))


@dataclass(frozen=True)
class Choice:
    """A design point and its whole-design estimate."""

    point: DesignPoint
    estimate: DesignEstimate
    reason: str = ""  # why the interval is not shorter

    @property
    def interval(self) -> int:
        return self.estimate.pipeline.interval

    @property
    def luts(self) -> int:
        return self.estimate.total.lut

    @property
    def frames_per_second(self) -> float:
        return self.estimate.frames_per_second


def evaluate(graph: Graph, point: DesignPoint, dev: Device, clock_mhz: float) -> Choice:
    """The whole-design estimate (kernels, converters, FIFOs) of ``point``."""
    from streamfold.codegen.top import stitch  # codegen imports dse: import here

    return Choice(point, estimate_design(stitch(graph, point), dev, clock_mhz))


def over_budget(est: DesignEstimate, lut_cap: float) -> tuple[str, int, int] | None:
    """The scarcest resource over its budget: (name, used, budget), or None when it fits.

    LUTs are budgeted at ``lut_cap`` of the device; every other resource at all of it."""
    worst: tuple[float, str, int, int] | None = None
    for u in est.utilisation():
        budget = int(u.available * lut_cap) if u.resource.lower() == "lut" else u.available
        if u.used > budget and (worst is None or u.used / max(budget, 1) > worst[0]):
            worst = (u.used / max(budget, 1), u.resource, u.used, budget)
    return None if worst is None else worst[1:]


def _space(graph: Graph, dev: Device, space: Space | None) -> Space:
    """``space`` (to share its resource cache between searches) when it is the graph's."""
    if space is not None and space.graph is graph and space.device == dev:
        return space
    return Space(graph, dev)


def _budget_name(resource: str, dev: Device, lut_cap: float) -> str:
    if resource.lower() == "lut":
        return f"{100 * lut_cap:g} % of {dev.name}'s LUTs"
    return f"all of {dev.name}'s {resource}"


def _fps(clock_mhz: float, interval: int) -> str:
    return f"{clock_mhz * 1e6 / interval:,.0f} frames/s"


def _fits_or_raise(space: Space, clock_mhz: float, lut_cap: float) -> Choice:
    """The cheapest design of all (at the slowest interval), or the ResourceError saying it
    does not fit the device even so."""
    slowest = evaluate(space.graph, space.point(space.intervals()[-1]), space.device, clock_mhz)
    over = over_budget(slowest.estimate, 1.0)
    if over is not None:
        name, used, available = over
        raise ResourceError(
            f"{space.device.name}: the network does not fit even fully folded: "
            f"{name} {used:,} of {available:,} ({100 * used / available:.0f} %)"
        )
    over = over_budget(slowest.estimate, lut_cap)
    if over is not None:
        name, used, budget = over
        raise ResourceError(
            f"{space.device.name}: the network does not fit {100 * lut_cap:g} % of LUTs even "
            f"fully folded: {name} {used:,} of {budget:,}"
        )
    return slowest


def max_fps(
    graph: Graph,
    dev: Device,
    clock_mhz: float,
    lut_cap: float = DEFAULT_LUT_CAP,
    space: Space | None = None,
) -> Choice:
    """The highest frames/s whose design stays within ``lut_cap`` of the LUTs and within
    the device in every other resource."""
    space = _space(graph, dev, space)
    best = _fits_or_raise(space, clock_mhz, lut_cap)
    lo, hi = 0, len(space.intervals()) - 1  # hi always fits
    intervals = space.intervals()
    while lo < hi:
        mid = (lo + hi) // 2
        choice = evaluate(graph, space.point(intervals[mid]), dev, clock_mhz)
        if over_budget(choice.estimate, lut_cap) is None:
            hi, best = mid, choice
        else:
            lo = mid + 1
    if best.interval != intervals[hi]:
        best = evaluate(graph, space.point(intervals[hi]), dev, clock_mhz)
    if hi == 0:
        return replace(best, reason="every node is at its fastest legal folding")
    faster = evaluate(graph, space.point(intervals[hi - 1]), dev, clock_mhz)
    over = over_budget(faster.estimate, lut_cap)
    assert over is not None
    name, used, budget = over
    why = (
        f"the next faster interval, {faster.interval} cycles/frame, needs {name} {used:,} "
        f"> {budget:,} ({_budget_name(name, dev, lut_cap)})"
    )
    return replace(best, reason=why)


def min_resources(
    graph: Graph,
    dev: Device,
    fps: float,
    clock_mhz: float,
    lut_cap: float = DEFAULT_LUT_CAP,
    space: Space | None = None,
) -> Choice:
    """The fewest LUTs reaching ``fps`` frames/s at ``clock_mhz``."""
    space = _space(graph, dev, space)
    target = int(clock_mhz * 1e6 // fps) if fps > 0 else 0
    intervals = [t for t in space.intervals() if t <= target]
    if not intervals:
        best = max_fps(graph, dev, clock_mhz, lut_cap, space)
        raise ResourceError(
            f"{dev.name}: {fps:,.0f} frames/s at {clock_mhz:g} MHz is beyond the device: "
            f"the best within {100 * lut_cap:g} % of LUTs is {_fps(clock_mhz, best.interval)} "
            f"({best.interval} cycles/frame)"
        )
    choice = evaluate(graph, space.point(intervals[-1]), dev, clock_mhz)
    why = f"the slowest legal design meeting {target} cycles/frame ({fps:,.0f} frames/s)"
    choice = replace(choice, reason=why)
    # a width converter or FIFO slower than every kernel would also miss the target
    if over_budget(choice.estimate, lut_cap) is not None or choice.interval > target:
        best = max_fps(graph, dev, clock_mhz, lut_cap, space)
        raise ResourceError(
            f"{dev.name}: {fps:,.0f} frames/s at {clock_mhz:g} MHz is beyond the device: "
            f"the best within {100 * lut_cap:g} % of LUTs is {_fps(clock_mhz, best.interval)} "
            f"({best.interval} cycles/frame)"
        )
    return choice


def pareto(
    graph: Graph,
    dev: Device,
    clock_mhz: float,
    min_cycles: int = 1,
    max_cycles: int | None = None,
    space: Space | None = None,
) -> tuple[Choice, ...]:
    """The frames/s vs LUT front over candidate intervals in [min_cycles, max_cycles], fewest
    LUTs first; more LUTs always give strictly more frames/s. Points are pruned on kernel LUTs
    first and only the survivors are estimated whole."""
    space = _space(graph, dev, space)
    top = max_cycles if max_cycles is not None else space.intervals()[-1]
    intervals = [t for t in space.intervals() if min_cycles <= t <= top]
    kernel = _front((t, space.kernel_luts(t)) for t in intervals)
    choices = {t: evaluate(graph, space.point(t), dev, clock_mhz) for t in kernel}
    keep = _front((c.interval, c.luts) for c in choices.values())
    by_interval = {c.interval: c for c in choices.values()}
    return tuple(sorted((by_interval[t] for t in keep), key=lambda c: c.luts))


def _front(points: Iterable[tuple[int, int]]) -> list[int]:
    """Intervals of the (interval, LUT) points no other point beats: walking from the
    fastest, keep a point only when it has strictly fewer LUTs than every faster one."""
    kept: list[int] = []
    least: int | None = None
    for interval, luts in sorted(set(points)):
        if kept and interval == kept[-1]:
            continue
        if least is None or luts < least:
            kept.append(interval)
            least = luts
    return kept
