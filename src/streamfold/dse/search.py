"""Folding search against a device: ``max-fps``, ``min-resources`` and the ``pareto`` front.

Only the blocks' legal-folding enumerations and the cost models are used (no tools in the loop).

Algorithm. A pipeline's initiation interval, a chain's or a DAG's (forks and joins), is the
slowest stage's cycles on any path, so for a candidate interval T (one of the distinct cycle
counts of all legal foldings of all nodes) each node can be chosen independently: the cheapest
legal folding (by estimated LUTs, then BRAM, then FFs) whose cycles are at most T, over every
memory style the block offers. The per-node costs are the kernels' own estimates; every design
that is returned is re-estimated whole (kernels, forks, width converters and FIFOs,
``cost.design_cost.estimate_design``), and that whole estimate is what is checked against the
device and reported. Where the graph branches, the FIFO depths of the fork edges are derived
for the chosen folding (``design_point.with_fork_fifos``, from ``cost.fifo_sizing``), so their
cost is in the estimate; a join (add, concat) has one SIMD for both inputs and is chosen like
pooling (fewest lanes), its inputs reaching it through width converters where the producers
differ, which the whole-design refinement (``Space.refine``) weighs.

- ``min-resources``: T = the largest candidate interval reaching the frames/s at the clock.
- ``max-fps``: the smallest T whose design fits (binary search over the candidates: the
  cheapest LUTs at T never rise as T grows, since the legal sets are nested).
- ``pareto``: every candidate T, then the designs no other design beats on both frames/s and
  LUTs, so that more LUTs always buy strictly more frames/s.

Several samples per cycle (``dse.samples``, docs/mmv.md): one pixel per word stops at the
structural ceiling (``dse.ceiling``). Where the graph takes multi-pixel words, the
``samples=N`` designs (N = 2, 4, ..., on the graph with its 1-D "same" Pads folded into their
windows) are candidates beyond it: ``max-fps`` at the ceiling takes the fastest that fits,
``min-resources`` the fewest LUTs meeting a target beyond it, ``pareto`` every one that fits
the device. Their points name the folded graph's nodes (``design_point.point_graph``).

Pruning (for speed; resource estimates of wide layers cost milliseconds each): at T, a node
only considers foldings with more than ``T_slowest / 2`` cycles, where ``T_slowest`` is its
slowest legal folding meeting T. A folding more than twice as fast has at least twice the
lanes the interval needs, and every calibrated compute feature grows with lanes. On TFC-W1A1
the pruned choice equals the unpruned one at all 43 candidate intervals (docs/benchmarks.md).
``Space(styles=...)`` restricts the memory styles (all of them by default).

Convolutions: a sliding window feeding an MVAU is chosen with it, at its SIMD (``Space``);
pooling and padding take the fewest lanes meeting T. BRAM: when the LUT-cheapest kernels at T
need more block RAM than the device has, block RAM is priced in LUTs (``BRAM_PRICES``) until
they fit. Speed: whole designs are estimated from the space's cached parameters and resources
(``Space.estimate``, equal to ``estimate_design`` on the stitched design), and ``max-fps``
binary-searches on the kernels' resources, a lower bound of the whole design's.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from streamfold import validate
from streamfold.cost.design_cost import DesignEstimate, block_cost_module
from streamfold.cost.devices import Device
from streamfold.cost.fmax import design_paths, load_model, predict_fmax
from streamfold.design import stitch
from streamfold.design.point import edge_names
from streamfold.dse.ceiling import ceiling
from streamfold.dse.choice import Choice as Choice
from streamfold.dse.choice import over_budget as over_budget
from streamfold.dse.choice import over_utilisation, whole_choice
from streamfold.dse.design_point import (
    DesignPoint,
    check_fifo_depth,
    with_fifos,
    with_fork_fifos,
)
from streamfold.dse.fast_estimate import Kernel, estimate_point
from streamfold.dse.samples import ladder
from streamfold.errors import FoldingError, ResourceError, StreamfoldError
from streamfold.hw.block import MemStyle, NodeFolding, StreamFormat
from streamfold.hw.mvau.params import MvauParams
from streamfold.hw.registry import block_of
from streamfold.ir.graph import Graph
from streamfold.ir.graph import Node as GraphNode
from streamfold.ir.ops import Mvau, SlidingWindow, Thresholding
from streamfold.synth.resources import Resources, utilisation

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
    compute: bool  # weights or thresholds: chosen by resources; else by fewest lanes
    window: _Node | None = None  # the sliding window feeding this node, folded with it


def _windows(graph: Graph) -> dict[str, str]:
    """Matrix-vector unit -> the sliding window feeding it alone, chosen with it."""
    out = {}
    for node in graph.nodes:
        producer = graph.producer(node.inputs[0]) if isinstance(node.op, Mvau) else None
        if (
            producer is not None
            and isinstance(producer.op, SlidingWindow)
            and len(graph.consumers(producer.output.name)) == 1
        ):
            out[node.name] = producer.name
    return out


# (LUT, BRAM, FF, lanes): the order in which equally fast foldings are preferred
_Key = tuple[int, int, int, int]


@dataclass
class Space:
    """The search space of a graph: per node the legal foldings; resource estimates cached.

    A sliding window that feeds a matrix-vector unit is not searched on its own: it takes the
    unit's SIMD (its greatest divisor of the window's channels, when the SIMD spans several
    pixels' channels), so that no width converter sits between them, and the pair is chosen
    together, on their summed resources and the slower of their cycles. Other streaming
    nodes (pooling, padding, unfed windows) take the fewest lanes meeting the interval and
    then the cheapest memory style; nodes with weights or thresholds the cheapest folding.
    """

    graph: Graph
    device: Device
    styles: frozenset[MemStyle] = frozenset(MemStyle)  # memory styles the search may use
    nodes: tuple[_Node, ...] = field(init=False)
    _cache: dict[tuple[str, NodeFolding], Resources] = field(init=False, default_factory=dict)
    _cycles: dict[tuple[str, NodeFolding], int] = field(init=False, default_factory=dict)
    _chosen: dict[tuple[str, int, int], tuple[NodeFolding, ...]] = field(
        init=False, default_factory=dict
    )
    _formats: dict[tuple[str, NodeFolding], tuple[tuple[StreamFormat, ...], StreamFormat]] = field(
        init=False, default_factory=dict
    )
    _by_name: dict[str, _Node] = field(init=False, default_factory=dict)
    _edges: tuple[str, ...] = field(init=False, default=())  # edges with their own FIFO depth

    def __post_init__(self) -> None:
        windows = _windows(self.graph)
        absorbed = set(windows.values())
        built = {n.name: self._node(n) for n in self.graph.nodes}
        nodes: list[_Node] = []
        for node in self.graph.nodes:
            if node.name in absorbed:
                continue
            unit = built[node.name]
            if node.name in windows:
                window = built[windows[node.name]]
                opts = [(f, max(c, self._window_cycles(window, f, c))) for f, c in unit.options]
                opts.sort(key=lambda o: (-o[1], o[0].pe * o[0].simd, o[0].pe))
                unit = replace(unit, options=tuple(opts), window=window)
            nodes.append(unit)
        self.nodes = tuple(nodes)
        self._by_name = {n.name: n for n in nodes}
        self._by_name.update({n.window.name: n.window for n in nodes if n.window is not None})
        self._edges = edge_names(self.graph)

    def _node(self, node: GraphNode) -> _Node:
        block = block_of(node)
        params = block.params(self.graph, node)
        legal = (f for f in block.foldings(params) if f.mem_style in self.styles)
        opts = [(f, int(block.cycles(params, f))) for f in legal]
        if not opts:
            styles = ", ".join(sorted(m.value for m in self.styles))
            raise FoldingError(f"{node.name}: has no legal folding with memory style {styles}")
        opts.sort(key=lambda o: (-o[1], o[0].pe * o[0].simd, o[0].pe))
        compute = isinstance(node.op, (Mvau, Thresholding))
        return _Node(node.name, block, params, tuple(opts), compute)

    # ---------------------------------------------------------------- per-node costs
    def resources(self, node: _Node, folding: NodeFolding) -> Resources:
        key = (node.name, folding)
        if key not in self._cache:
            module = block_cost_module(node.block)
            self._cache[key] = module.resources(node.params, folding, self.device.family)
        return self._cache[key]

    def _window_simd(self, window: _Node, folding: NodeFolding, cycles: int) -> int:
        """The consumer's SIMD when it divides the window's channels; else (a SIMD wider than
        the channels) the fewest window lanes within the consumer's ``cycles``, or all."""
        channels = window.params.channels
        if channels % folding.simd == 0:
            return folding.simd
        fast = [f.simd for f, c in window.options if c <= cycles]
        return min(fast) if fast else channels

    def _window_cycles(self, window: _Node, folding: NodeFolding, cycles: int) -> int:
        simd = self._window_simd(window, folding, cycles)
        return min(c for f, c in window.options if f.simd == simd)

    def _window_folding(self, node: _Node, folding: NodeFolding, price: int) -> NodeFolding:
        """The folding of the window feeding ``node`` for the node's ``folding``: its SIMD by
        ``_window_simd``, in the window's cheapest memory style."""
        assert node.window is not None
        window = node.window
        simd = self._window_simd(window, folding, node.block.cycles(node.params, folding))
        return min(
            (f for f, _ in window.options if f.simd == simd),
            key=lambda f: self._key(window, f, price),
        )

    def _key(self, node: _Node, folding: NodeFolding, price: int) -> _Key:
        r = self.resources(node, folding)
        return (r.lut + price * r.bram, r.bram, r.ff, folding.pe * folding.simd)

    def _unit_key(self, node: _Node, folding: NodeFolding, price: int) -> _Key:
        key = self._key(node, folding, price)
        if node.window is None:
            return key
        w = self._key(node.window, self._window_folding(node, folding, price), price)
        return (key[0] + w[0], key[1] + w[1], key[2] + w[2], key[3])

    # ---------------------------------------------------------------- choices
    def intervals(self) -> tuple[int, ...]:
        """Candidate intervals, fastest first: every node's cycle counts no node must exceed."""
        floor = max(min(c for _, c in n.options) for n in self.nodes)
        return tuple(sorted({c for n in self.nodes for _, c in n.options if c >= floor}))

    def cheapest(self, node: _Node, interval: int, price: int = 0) -> NodeFolding:
        """The node's folding at ``interval`` (with ``price`` LUTs per BRAM unit)."""
        meets = [(f, c) for f, c in node.options if c <= interval]
        assert meets, f"{node.name}: interval {interval} below the node's fastest folding"
        if not node.compute:
            lanes = min(f.pe * f.simd for f, _ in meets)
            pool = [f for f, _ in meets if f.pe * f.simd == lanes]
        else:
            slowest = meets[0][1]
            pool = [f for f, c in meets if 2 * c > slowest]
        return min(pool, key=lambda f: self._unit_key(node, f, price))

    def choose(self, interval: int, price: int = 0) -> tuple[tuple[str, NodeFolding], ...]:
        """Every graph node's folding at ``interval``, in graph order."""
        chosen: list[tuple[str, NodeFolding]] = []
        for node in self.nodes:
            key = (node.name, interval, price)
            if key not in self._chosen:
                folding = self.cheapest(node, interval, price)
                pair: tuple[NodeFolding, ...] = (folding,)
                if node.window is not None:
                    pair = (self._window_folding(node, folding, price), folding)
                self._chosen[key] = pair
            pair = self._chosen[key]
            if node.window is not None:
                chosen.append((node.window.name, pair[0]))
            chosen.append((node.name, pair[-1]))
        return tuple(chosen)

    def kernel_resources(self, interval: int, price: int = 0) -> Resources:
        """The summed kernel resources at ``interval`` (no converters or FIFOs)."""
        out = Resources()
        for name, folding in self.choose(interval, price):
            out = out + self.resources(self._by_name[name], folding)
        return out

    def kernel_luts(self, interval: int) -> int:
        return self.kernel_resources(interval, self.price(interval)).lut

    def price(self, interval: int) -> int:
        """LUTs charged per BRAM unit at ``interval``: 0 when the LUT-cheapest kernels fit the
        device's BRAM, else the least of BRAM_PRICES that makes them fit (or the last)."""
        for price in (0, *BRAM_PRICES):
            if self.kernel_resources(interval, price).bram <= self.device.bram:
                return price
        return BRAM_PRICES[-1]

    def point(self, interval: int, price: int | None = None) -> DesignPoint:
        """The cheapest design point at ``interval``, with FIFO depths by the preset rule."""
        if price is None:
            price = self.price(interval)
        return self.fifos(DesignPoint(self.choose(interval, price)))

    def fifos(self, point: DesignPoint) -> DesignPoint:
        """``point`` with FIFO depths: by the preset rule (``with_fifos``), and where the graph
        branches on every fork edge (``with_fork_fifos``: in front of joins derived from the
        cycle model)."""
        return with_fork_fifos(self.graph, with_fifos(self.graph, point, self.params))

    def refine(
        self, interval: int, clock_mhz: float, price: int | None = None, rounds: int = 2
    ) -> DesignPoint:
        """``point(interval)`` improved on whole-design resources: the per-node choice cannot
        see the width converters and FIFOs between nodes, so each node in turn tries its
        ``REFINE_OPTIONS`` cheapest foldings meeting ``interval`` and keeps the one that makes
        the whole design (kernels, converters, forks, FIFOs; LUTs + price x BRAM) cheapest,
        without slowing it past ``interval``; up to ``rounds`` passes. Trials take FIFO depths
        by the preset rule; the result's join FIFOs are then sized (``fifos``)."""
        if price is None:
            price = self.price(interval)
        chosen = dict(self.choose(interval, price))
        order = [n.name for n in self.graph.nodes]

        def cost(folds: dict[str, NodeFolding]) -> float:
            point = DesignPoint(tuple((n, folds[n]) for n in order))
            est = self.estimate(with_fifos(self.graph, point, self.params), clock_mhz)
            if est.pipeline.interval > interval:
                return float("inf")
            return est.total.lut + price * est.total.bram

        best = cost(chosen)
        for _ in range(rounds):
            improved = False
            for node in self.nodes:
                meets = [f for f, c in node.options if c <= interval]
                meets.sort(key=lambda f: self._unit_key(node, f, price))
                for folding in meets[:REFINE_OPTIONS]:
                    trial = dict(chosen)
                    trial[node.name] = folding
                    if node.window is not None:
                        trial[node.window.name] = self._window_folding(node, folding, price)
                    c = cost(trial)
                    if c < best:
                        chosen, best, improved = trial, c, True
            if not improved:
                break
        return self.fifos(DesignPoint(tuple((n, chosen[n]) for n in order)))

    @property
    def params(self) -> dict[str, Any]:
        """Every graph node's block parameters, by name."""
        return {name: node.params for name, node in self._by_name.items()}

    # ---------------------------------------------------------------- whole designs
    def check(self, point: DesignPoint) -> None:
        """``design_point.check_design`` with the space's parameters."""
        for edge, _ in point.fifos:
            if edge not in self._edges:
                known = ", ".join(self._edges) or "none: no value has several consumers"
                raise FoldingError(
                    f"{edge}: the design point gives a FIFO depth for an edge the graph does "
                    f"not have; edges with their own depth: {known}"
                )
        for name, _ in point.nodes:
            if name not in self._by_name:
                raise FoldingError(f"{name}: the design point names a node the graph does not have")
        for graph_node in self.graph.nodes:
            node = self._by_name[graph_node.name]
            folding = point.folding(node.name)
            node.block.check_folding(node.name, node.params, folding)
            check_fifo_depth(node.name, folding)

    def _formats_of(
        self, node: _Node, folding: NodeFolding
    ) -> tuple[tuple[StreamFormat, ...], StreamFormat]:
        """The kernel's input and output stream formats, as its RTL instance gives them."""
        key = (node.name, replace(folding, fifo_depth=2))
        if key not in self._formats:
            p = node.params
            if isinstance(p, MvauParams):  # sf_mvau's instance, without its weight images
                self._formats[key] = (
                    (StreamFormat(p.in_dtype, folding.simd, p.pixels * p.in_features),),
                    StreamFormat(p.out_dtype, folding.pe, p.pixels * p.out_features),
                )
            else:
                inst = node.block.rtl(p, folding, node.name)
                self._formats[key] = (inst.streams_in, inst.stream_out)
        return self._formats[key]

    def _kernel(self, point: DesignPoint, name: str) -> Kernel:
        node = self._by_name[name]
        folding = point.folding(name)
        streams_in, out = self._formats_of(node, folding)
        return Kernel(node.block, node.params, streams_in, out, self.resources(node, folding))

    def estimate(self, point: DesignPoint, clock_mhz: float) -> DesignEstimate:
        """``estimate_design(stitch(graph, point), ...)`` from the space's cached parameters
        and resources: the same stages (kernels, forks, width converters, FIFOs), resources
        and pipeline model, without generating RTL (``dse.fast_estimate``; tests/dse check
        that the two agree)."""
        return estimate_point(
            self.graph, point, lambda name: self._kernel(point, name), self.device, clock_mhz
        )


# Foldings per node the whole-design refinement (Space.refine) tries, cheapest first.
REFINE_OPTIONS = 8

# LUTs per BRAM unit tried, in order, when the LUT-cheapest design needs more block RAM than
# the device has: each node then weighs its block RAM at that price against its LUTs.
BRAM_PRICES = (16, 64, 256, 1024, 4096)


def evaluate(
    graph: Graph, point: DesignPoint, dev: Device, clock_mhz: float, space: Space | None = None
) -> Choice:
    """The whole-design estimate (kernels, converters, FIFOs) of ``point``: through
    ``space``'s caches when it is the graph's and the point is legal, else by stitching the
    design and estimating it (``cost.design_cost.estimate_design``)."""
    if space is not None and space.graph is graph and space.device == dev:
        space.check(point)
        est = space.estimate(point, clock_mhz)
        model = load_model(dev.family)
        if model is not None:  # Fmax is predicted from the stitched stages
            est = replace(est, fmax=predict_fmax(design_paths(stitch(graph, point)), model))
        return Choice(point, est)
    return whole_choice(graph, point, dev, clock_mhz)


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


def _kernels_over(space: Space, interval: int, lut_cap: float) -> tuple[str, int, int] | None:
    """``over_budget`` of the kernels alone at ``interval``: a lower bound of the whole
    design's resources, so a design whose kernels do not fit does not fit."""
    used = space.kernel_resources(interval, space.price(interval))
    return over_utilisation(utilisation(used, space.device), lut_cap)


def _fits_or_raise(space: Space, clock_mhz: float, lut_cap: float) -> Choice:
    """The cheapest design of all (at the slowest interval), or the ResourceError saying it
    does not fit the device even so."""
    slowest = evaluate(
        space.graph, space.point(space.intervals()[-1]), space.device, clock_mhz, space
    )
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


def _check_goal(where: str, clock_mhz: float, lut_cap: float) -> None:
    validate.clock_mhz(f"{where}: clock_mhz", clock_mhz)
    validate.lut_cap(f"{where}: lut_cap", lut_cap)


def max_fps(
    graph: Graph,
    dev: Device,
    clock_mhz: float,
    lut_cap: float = DEFAULT_LUT_CAP,
    space: Space | None = None,
) -> Choice:
    """The highest frames/s whose design stays within ``lut_cap`` of the LUTs and within
    the device in every other resource.

    A binary search over the candidate intervals on the kernels' resources (cached, and a
    lower bound of the whole design's) finds the fastest interval whose kernels fit; from
    there whole designs are estimated, slower and slower, until one fits. When that design is
    at the structural ceiling (one pixel per cycle at best) and the graph takes multi-pixel
    words, the fastest ``samples=N`` design within the budget (``dse.samples``) is chosen
    instead, when there is one."""
    _check_goal("max_fps", clock_mhz, lut_cap)
    space = _space(graph, dev, space)
    choice, at_ceiling = _max_fps_one_pixel(graph, dev, clock_mhz, lut_cap, space)
    if not at_ceiling:
        return choice
    return _more_samples(choice, space, clock_mhz, lut_cap)


def _max_fps_one_pixel(
    graph: Graph, dev: Device, clock_mhz: float, lut_cap: float, space: Space
) -> tuple[Choice, bool]:
    """``max_fps`` over the foldings of one pixel per word, and whether it is at the
    structural ceiling (no faster interval was over the budget)."""
    intervals = space.intervals()
    lo, hi = 0, len(intervals) - 1
    if _kernels_over(space, intervals[hi], lut_cap) is not None:
        _fits_or_raise(space, clock_mhz, lut_cap)  # raises
    while lo < hi:  # hi's kernels always fit
        mid = (lo + hi) // 2
        if _kernels_over(space, intervals[mid], lut_cap) is None:
            hi = mid
        else:
            lo = mid + 1
    faster_over: tuple[int, tuple[str, int, int]] | None = None
    if hi > 0:  # the whole design is bigger than its kernels: over budget too
        faster = evaluate(graph, space.point(intervals[hi - 1]), dev, clock_mhz, space)
        over = over_budget(faster.estimate, lut_cap)
        assert over is not None
        faster_over = (faster.interval, over)
    while True:
        choice = evaluate(graph, space.point(intervals[hi]), dev, clock_mhz, space)
        over = over_budget(choice.estimate, lut_cap)
        if over is None:
            break
        if hi == len(intervals) - 1:
            _fits_or_raise(space, clock_mhz, lut_cap)  # raises
        faster_over = (choice.interval, over)
        hi += 1
    refined = evaluate(graph, space.refine(choice.interval, clock_mhz), dev, clock_mhz, space)
    if over_budget(refined.estimate, lut_cap) is None and refined.luts <= choice.luts:
        choice = refined
    if faster_over is None:
        return replace(choice, reason=f"the structural ceiling: {ceiling(graph)}"), True
    interval, (name, used, budget) = faster_over
    why = (
        f"the next faster interval, {interval} cycles/frame, needs {name} {used:,} "
        f"> {budget:,} ({_budget_name(name, dev, lut_cap)})"
    )
    return replace(choice, reason=why), False


def _more_samples(choice: Choice, space: Space, clock_mhz: float, lut_cap: float) -> Choice:
    """``choice`` (at the structural ceiling), or the fastest ``samples=N`` design within the
    budget; its reason names the next N and what stops it."""
    best, why = choice, ""
    for rung in ladder(space.graph, space.device, clock_mhz, space.styles):
        label = f"samples={rung.samples}"
        if rung.choice is None:
            why = f"{label} ({rung.samples} samples per word): {rung.why}"
            break
        over = over_budget(rung.choice.estimate, lut_cap)
        if over is not None:
            name, used, budget = over
            why = (
                f"the next faster design, {label} ({rung.samples} samples per word, "
                f"{rung.choice.interval:,} cycles/frame), needs {name} {used:,} > {budget:,} "
                f"({_budget_name(name, space.device, lut_cap)})"
            )
            break
        best = rung.choice
    else:
        if best is not choice:
            why = f"{best.samples} samples per word is the most the search tries (MAX_SAMPLES)"
    if best is choice:
        return replace(choice, reason=f"{choice.reason}; {why}" if why else choice.reason)
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
    validate.fps("min_resources: fps", fps)
    _check_goal("min_resources", clock_mhz, lut_cap)
    space = _space(graph, dev, space)
    # cycles per frame allowed; the relative 1e-9 forgives float rounding, so that the frame
    # rate of exactly N cycles (clock / N) allows N, not N - 1
    target = int(clock_mhz * 1e6 / fps * (1 + 1e-9)) if fps > 0 else 0
    intervals = [t for t in space.intervals() if t <= target]
    limit = ceiling(graph)
    if target < limit.cycles:
        cycles = clock_mhz * 1e6 / fps
        error: StreamfoldError = FoldingError(
            f"{fps:,.0f} frames/s at {clock_mhz:g} MHz ({cycles:,.6g} cycles/frame): no folding "
            f"reaches it: {limit} ({_fps(clock_mhz, limit.cycles)})"
        )
        return _samples_meeting(error, space, target, clock_mhz, lut_cap)
    if not intervals:
        error = _beyond(graph, dev, fps, clock_mhz, lut_cap, space)
        return _samples_meeting(error, space, target, clock_mhz, lut_cap)
    choice = evaluate(graph, space.refine(intervals[-1], clock_mhz), dev, clock_mhz, space)
    why = f"the slowest legal design meeting {target} cycles/frame ({fps:,.0f} frames/s)"
    choice = replace(choice, reason=why)
    # a width converter or FIFO slower than every kernel would also miss the target
    if over_budget(choice.estimate, lut_cap) is not None or choice.interval > target:
        error = _beyond(graph, dev, fps, clock_mhz, lut_cap, space)
        return _samples_meeting(error, space, target, clock_mhz, lut_cap)
    return choice


def _samples_meeting(
    error: StreamfoldError, space: Space, target: int, clock_mhz: float, lut_cap: float
) -> Choice:
    """The fewest-LUT ``samples=N`` design (``dse.samples``) meeting ``target`` cycles/frame
    within the budget; else ``error`` (a ResourceError when a ``samples=N`` design reaches the
    target over the budget), saying what the best such design within it reaches."""
    fitting: list[Choice] = []
    stop = ""
    for rung in ladder(space.graph, space.device, clock_mhz, space.styles):
        label = f"samples={rung.samples}"
        if rung.choice is None:
            stop = stop or f"{label}: {rung.why}"
            break
        over = over_budget(rung.choice.estimate, lut_cap)
        if over is None:
            fitting.append(rung.choice)
            continue
        name, used, budget = over
        stop = stop or f"{label} needs {name} {used:,} > {budget:,}"
        if rung.choice.interval <= target and isinstance(error, FoldingError):
            # a design reaches the target, beyond the budget: the device is what limits it
            error = ResourceError(f"{space.device.name}: {error}")
    meeting = [c for c in fitting if c.interval <= target]
    if meeting:
        best = min(meeting, key=lambda c: (c.luts, c.interval))
        why = (
            f"the fewest LUTs meeting {target} cycles/frame: samples={best.samples} "
            f"({best.samples} samples per word)"
        )
        return replace(best, reason=why)
    if not fitting and not stop:
        raise error  # no node takes multi-pixel words
    if fitting:
        fast = fitting[-1]
        stop = (
            f"the fastest with several samples per word within the budget is "
            f"samples={fast.samples}, {_fps(clock_mhz, fast.interval)} "
            f"({fast.interval:,} cycles/frame); {stop}"
        )
    raise type(error)(f"{error}; {stop}") from None


def _beyond(
    graph: Graph, dev: Device, fps: float, clock_mhz: float, lut_cap: float, space: Space
) -> ResourceError:
    """The error for a frame rate beyond the device: what limits it, and the best there is."""
    best = max_fps(graph, dev, clock_mhz, lut_cap, space)
    return ResourceError(
        f"{dev.name}: {fps:,.0f} frames/s at {clock_mhz:g} MHz is beyond the device: "
        f"the best within {100 * lut_cap:g} % of LUTs is {_fps(clock_mhz, best.interval)} "
        f"({best.interval} cycles/frame)"
    )


def pareto(
    graph: Graph,
    dev: Device,
    clock_mhz: float,
    min_cycles: int = 1,
    max_cycles: int | None = None,
    space: Space | None = None,
) -> tuple[Choice, ...]:
    """The frames/s vs LUT front over candidate intervals in [min_cycles, max_cycles], fewest
    LUTs first; more LUTs always give strictly more frames/s. BRAM-aware: at each interval
    the design is the LUT-cheapest one within the device's block RAM (``Space.price``), and
    designs that do not fit the device at all (any resource over 100 %) are left out. Points
    are pruned on kernel LUTs first and only the survivors are estimated whole. The
    ``samples=N`` designs beyond one pixel per cycle (``dse.samples``) are candidates too."""
    space = _space(graph, dev, space)
    top = max_cycles if max_cycles is not None else space.intervals()[-1]
    intervals = [t for t in space.intervals() if min_cycles <= t <= top]
    fits = [t for t in intervals if _kernels_over(space, t, 1.0) is None]
    kernel = _front((t, space.kernel_luts(t)) for t in fits)
    choices = {t: evaluate(graph, space.point(t), dev, clock_mhz, space) for t in kernel}
    feasible = [c for c in choices.values() if over_budget(c.estimate, 1.0) is None]
    # several samples per word (dse.samples): the designs that fit, in the interval range
    multi = [r.choice for r in ladder(graph, dev, clock_mhz, space.styles) if r.choice]
    feasible += [
        c for c in multi if min_cycles <= c.interval <= top and over_budget(c.estimate, 1.0) is None
    ]
    keep = _front((c.interval, c.luts) for c in feasible)
    by_interval = {c.interval: c for c in feasible}
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
