"""DesignPoint: the frozen per-node folding of a hardware graph, saved and loaded as JSON.

Presets (``folding_preset``):
- ``folded``: PE = SIMD = 1 everywhere (smallest, slowest);
- ``cycles=N``: per node, the least parallel legal folding reaching N cycles per frame
  (SIMD raised before PE, as FINN's SetFolding does; a depthwise VVAU widens SIMD only
  with PE = channels, the one legal pairing); a sliding window then takes its consumer's
  input width (``window_simd``);
- ``balanced``: ``cycles=`` the fastest fully-folded node's cycles, so no node is the
  bottleneck by more than folding granularity.
Every node has a legal folding of its own block; a join (add, concat) has one SIMD for both
of its inputs, and a producer folded otherwise reaches it through a width converter (stitch).
Where the graph branches, the FIFOs in front of joins are sized (``cost.fifo_sizing``).
FIFO depths default to two input vectors of a matrix-vector consumer (one frame for a fully
connected one), so a producer can run ahead of a consumer that replays its input (``with_fifos``).

``DesignPoint`` itself lives in ``streamfold.design.point`` (below dse, codegen and cost).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from streamfold.cost.fifo_sizing import with_paced_fifos, with_sized_fifos
from streamfold.design.point import DesignPoint, check_design, check_fifo_depth, edge_names
from streamfold.errors import FoldingError
from streamfold.hw.block import Block, MemStyle, NodeFolding
from streamfold.hw.registry import block_of
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import Add, Concat, MaxPool, Mvau, Pad, PeakPick, SlidingWindow, Vvau
from streamfold.transforms.fold_pad_into_window import fold_pad_into_window

__all__ = [
    "DesignPoint",
    "check_design",
    "check_fifo_depth",
    "folding_preset",
    "for_cycles",
    "point_graph",
    "preset_graph",
    "row_words",
    "window_simd",
    "with_fifos",
    "with_fork_fifos",
]


def folding_preset(
    graph: Graph, preset: str, mem_style: MemStyle = MemStyle.DISTRIBUTED
) -> DesignPoint:
    """A DesignPoint from a preset name: folded, balanced, cycles=N or samples=N (docs/mmv.md);
    where the graph branches, the FIFO in front of every join input sized from the cycle
    model (``cost.fifo_sizing.with_sized_fifos``: the design runs at its predicted
    interval)."""
    return with_fork_fifos(graph, _preset(graph, preset, mem_style))


def with_fork_fifos(graph: Graph, point: DesignPoint) -> DesignPoint:
    """``point`` with the FIFOs of a branching graph: in front of every join input derived
    from the cycle model (``cost.fifo_sizing.with_sized_fifos``), and on every other fork
    edge at least one row of the forked feature map (``row_words``). A fork sends each word
    down both branches at once, so a consumer that pauses its input (a padding row, a window
    buffering rows) stalls the other branch too unless its FIFO holds what the other takes
    meanwhile; measured on the concat net's fastest design: 618 cycles/frame with the
    producer's two-word FIFOs, 576 (the predicted interval) with a row. In a chain as in a
    DAG, every FIFO is then at least as deep as its pace needs (``with_paced_fifos``)."""
    edges = edge_names(graph)
    if not edges:
        return with_paced_fifos(graph, point)
    point = with_sized_fifos(graph, point)
    fifos = []
    for edge, depth in point.fifos:
        producer, consumer = edge.split("->")
        consumer = consumer.split(":")[0]
        join = consumer != "output" and isinstance(graph.node(consumer).op, Add | Concat)
        if not join and producer in {n.name for n in graph.nodes}:
            depth = max(depth, row_words(graph, point, producer))
        fifos.append((edge, depth))
    return replace(point, fifos=tuple(fifos))


def row_words(graph: Graph, point: DesignPoint, name: str) -> int:
    """Output words of node ``name`` in one row of its feature map (2 for a vector)."""
    node = graph.node(name)
    shape = node.output.shape
    if len(shape) < 3:
        return 2
    block = block_of(node)
    elems = block.out_elems(block.params(graph, node), point.folding(name))
    return max(2, shape[-1] * -(-shape[0] // elems))


def _preset(graph: Graph, preset: str, mem_style: MemStyle) -> DesignPoint:
    if preset == "folded":
        return with_fifos(
            graph,
            DesignPoint(tuple((n.name, NodeFolding(mem_style=mem_style)) for n in graph.nodes)),
        )
    if preset == "balanced":
        folded = _preset(graph, "folded", mem_style)
        target = min(_cycles(graph, folded, n.name) for n in graph.nodes)
        return for_cycles(graph, target, mem_style)
    if preset.startswith("cycles="):
        try:
            target = int(preset.split("=", 1)[1])
        except ValueError:
            target = 0
        if target < 1:
            raise FoldingError(
                f"folding preset: cycles=N needs a positive integer N, not {preset!r}"
            )
        return for_cycles(graph, target, mem_style)
    if preset.startswith("samples="):
        return for_samples(graph, _positive(preset), mem_style)
    raise FoldingError(
        "folding preset: must be folded, balanced, cycles=N, samples=N or a JSON file, "
        f"not {preset!r}"
    )


def _positive(preset: str) -> int:
    try:
        n = int(preset.split("=", 1)[1])
    except ValueError:
        n = 0
    if n < 1:
        what = preset.split("=", 1)[0]
        raise FoldingError(f"folding preset: {what}=N needs a positive integer N, not {preset!r}")
    return n


def preset_graph(graph: Graph, preset: str) -> Graph:
    """The kernel graph a preset builds: ``samples=N`` (N > 1) folds each 1-D "same" Pad into
    its sliding window (``transforms.fold_pad_into_window``: the window inserts the border,
    so padded convolutions run at N samples per cycle); every other preset builds ``graph``."""
    if preset.startswith("samples=") and _positive(preset) > 1:
        return fold_pad_into_window(graph)
    return graph


def point_graph(graph: Graph, point: DesignPoint) -> Graph:
    """The kernel graph ``point`` folds: where it gives some node mmv > 1 and names none of the
    Pads ``transforms.fold_pad_into_window`` folds, ``graph`` with them folded into their
    windows (the graph ``samples=N`` builds, ``preset_graph``; a design point the search or
    ``samples=N`` chose names the folded windows, never those Pads); else ``graph`` itself.
    A point at mmv > 1 naming some of those Pads but not all is refused (FoldingError)."""
    if all(f.mmv == 1 for _, f in point.nodes):
        return graph
    folded = fold_pad_into_window(graph)
    kept = {n.name for n in folded.nodes}
    pads = [n.name for n in graph.nodes if n.name not in kept]
    named = {name for name, _ in point.nodes}
    missing = [p for p in pads if p not in named]
    if not pads or not missing:
        return graph  # no foldable Pad, or every one built as a Pad node
    if len(missing) == len(pads):
        return folded
    given = next(p for p in pads if p in named)
    raise FoldingError(
        f"{given}: a design point at mmv > 1 must name every foldable 1-D Pad "
        f"({', '.join(pads)}: built as Pad nodes) or none (folded into their windows, "
        f"docs/mmv.md), not some: {', '.join(missing)} left out"
    )


def for_samples(graph: Graph, mmv: int, mem_style: MemStyle = MemStyle.DISTRIBUTED) -> DesignPoint:
    """``mmv`` samples (pixels) per cycle where blocks take multi-pixel words (docs/mmv.md):
    every node whose block does (sliding windows, per-pixel MVAUs, VVAUs, thresholding and
    multiply-shift over feature maps) at its mmv folding, peak picking at the fewest samples
    per word that keep up, every other node at its fastest
    one-pixel folding (``for_cycles(1)``; the width converters between them are stitched in).
    Raises FoldingError naming the first multi-pixel node ``mmv`` does not fit (it must
    divide the output width)."""
    base = for_cycles(graph, 1, mem_style)
    nodes = []
    for name, folding in base.nodes:
        node = graph.node(name)
        block = block_of(node)
        params = block.params(graph, node)
        if block.multi_pixel and mmv > 1 and _per_pixel(node):
            folding = _mmv_folding(graph, node, mmv, mem_style)
            block.check_folding(name, params, folding)
        elif isinstance(node.op, PeakPick) and mmv > 1:
            folding = _picking_folding(block, params, folding, _node_length(graph, node) // mmv)
        nodes.append((name, folding))
    return with_fifos(graph, DesignPoint(tuple(nodes)))


def _picking_folding(
    block: Block[Any], params: Any, folding: NodeFolding, cycles: int
) -> NodeFolding:
    """Peak picking at the fewest samples per word keeping up with ``cycles`` per frame (its
    flush steps make mmv itself too slow: ``hw.peakpick.cost``); ``folding`` if none does."""
    fast = [f for f in block.foldings(params) if block.cycles(params, f) <= cycles]
    return replace(folding, simd=min(f.simd for f in fast)) if fast else folding


def _node_length(graph: Graph, node: Node) -> int:
    """Samples of a 1-D node's input ``[C, L]``."""
    return graph.value(node.inputs[0]).shape[-1]


def _per_pixel(node: Node) -> bool:
    """A node that works pixel by pixel on a feature map: a window, a per-pixel matrix-vector
    unit, an elementwise unit over spatial dims."""
    if isinstance(node.op, Mvau):
        return node.op.per_pixel
    return len(node.output.shape) > 1


def _mmv_folding(graph: Graph, node: Node, mmv: int, mem_style: MemStyle) -> NodeFolding:
    """A window's whole pixels, an MVAU fully parallel, an elementwise unit's whole pixels,
    at ``mmv`` per word."""
    if isinstance(node.op, Mvau):
        out_f, in_f = node.op.weight.shape
        return NodeFolding(out_f, in_f, mem_style, mmv=mmv)
    channels = graph.value(node.inputs[0]).shape[0]
    if isinstance(node.op, SlidingWindow):
        return NodeFolding(simd=channels, mem_style=mem_style, mmv=mmv)
    if isinstance(node.op, Vvau):
        c, k = node.op.weight.shape
        return NodeFolding(c, k, mem_style, mmv=mmv)
    return NodeFolding(pe=channels, mem_style=mem_style, mmv=mmv)


def for_cycles(
    graph: Graph, target: int, mem_style: MemStyle = MemStyle.DISTRIBUTED
) -> DesignPoint:
    """Per node, the legal folding with the fewest PE*SIMD lanes reaching ``target`` cycles
    (or the fastest legal folding when none does); SIMD is preferred over PE on ties. A
    sliding window feeding a matrix-vector unit then takes the unit's SIMD when that is wider
    and divides its channels, as FINN does: no width converter or FIFO between them."""
    chosen: dict[str, NodeFolding] = {}
    for node in graph.nodes:
        block = block_of(node)
        params = block.params(graph, node)
        every = list(block.foldings(params))
        # A block without that memory style (one with no memory, or a window without a block
        # RAM buffer) keeps the styles it has: mem_style says where memories go, where they can.
        options = [f for f in every if f.mem_style is mem_style] or every
        fast = [f for f in options if block.cycles(params, f) <= target]
        pool = fast or [min(options, key=lambda f: block.cycles(params, f))]
        chosen[node.name] = min(pool, key=lambda f: (f.pe * f.simd, f.pe, -f.simd))
    for node in graph.nodes:
        simd = window_simd(graph, node, chosen)
        if simd is not None and simd > chosen[node.name].simd:
            chosen[node.name] = replace(chosen[node.name], simd=simd)
    return with_fifos(graph, DesignPoint(tuple((n.name, chosen[n.name]) for n in graph.nodes)))


def window_simd(graph: Graph, node: Node, chosen: Mapping[str, NodeFolding]) -> int | None:
    """The SIMD a sliding window ``node`` takes from the unit it feeds (as FINN sets a
    ConvolutionInputGenerator's SIMD from its MVAU or VVAU), when it divides the window's input
    channels; else None.

    A matrix-vector unit: its SIMD (no width converter between them). A vector-vector unit
    (depthwise): its PE, which always divides the channels. Its input word is PE channels of one
    kernel position (SIMD 1: the same width, no converter) or, with SIMD > 1 and PE = channels,
    SIMD whole positions (a converter widens the window's words; ``hw.vvau.params``)."""
    consumers = graph.consumers(node.output.name)
    if not isinstance(node.op, SlidingWindow) or len(consumers) != 1:
        return None
    consumer = consumers[0]
    if isinstance(consumer.op, Vvau):
        return chosen[consumer.name].pe
    if not isinstance(consumer.op, Mvau):
        return None
    simd = chosen[consumer.name].simd
    return simd if graph.value(node.inputs[0]).shape[0] % simd == 0 else None


def _in_elems(op: object, folding: NodeFolding) -> int | None:
    """Elements per input word of a matrix-vector (SIMD) or vector-vector (PE * SIMD) unit,
    times its pixels per word (mmv)."""
    if isinstance(op, Mvau):
        return folding.simd * folding.mmv
    if isinstance(op, Vvau):
        return folding.pe * folding.simd * folding.mmv
    return None


def _cycles(graph: Graph, point: DesignPoint, name: str) -> int:
    node = graph.node(name)
    block = block_of(node)
    return block.cycles(block.params(graph, node), point.folding(name))


def with_fifos(
    graph: Graph, point: DesignPoint, params: Mapping[str, Any] | None = None
) -> DesignPoint:
    """Each node's output FIFO, in its output words (0: none).

    In front of a fully connected matrix-vector unit, which takes its input vector (the whole
    frame) in a burst and then replays it, the FIFO holds a frame: the producer can run a frame
    ahead. Into a sliding window or max pool, and from a sliding window into its per-pixel
    matrix-vector unit when their words are the same width, there is none: the window buffer
    and the blocks' own output FIFOs decouple them (measured: CNV runs at its predicted
    interval, tests/test_cnv_hw.py); the same holds for a window into an equally wide
    depthwise vector-vector unit. A window narrower than its unit's SIMD fills each vector
    through a width converter, so it gets a FIFO of two vectors to deliver them in a burst
    (without it CNV ran 35 % slower). Elsewhere it holds two input vectors of a matrix-vector
    consumer, or two pixels.
    ``params``: the nodes' block parameters by name, when the caller has them already.
    """
    nodes = []
    for name, folding in point.nodes:
        node = graph.node(name)
        block = block_of(node)
        p = params[name] if params is not None else block.params(graph, node)
        elems = block.out_elems(p, folding)
        frame = -(-node.output.size // elems)
        consumers = graph.consumers(node.output.name)
        consumer = consumers[0].op if len(consumers) == 1 else None
        channels = node.output.shape[0]
        same_width = (
            consumer is not None and _in_elems(consumer, point.folding(consumers[0].name)) == elems
        )
        if isinstance(consumer, SlidingWindow | MaxPool) or (
            isinstance(node.op, SlidingWindow) and same_width
        ):
            words = 0
        elif isinstance(consumer, Mvau):
            vector = consumer.weight.shape[1]
            words = max(2, min(frame, 2 * -(-vector // elems)))
        else:
            words = max(2, min(frame, 2 * -(-channels // elems)))
        nodes.append((name, replace(folding, fifo_depth=words)))
    return DesignPoint(tuple(nodes))


def complete_point(
    graph: Graph, point: DesignPoint, mem_style: MemStyle | None = None
) -> DesignPoint:
    """``point`` with a folding for every kernel node it leaves out, so that a design point
    written by hand need name only the layers its author knows (``fc1``, ``quantconv2d1``),
    not the nodes the lowering generates (``*_pad``, ``*_swg``, pooling, thresholds):

    - a sliding window takes the input width of the unit it feeds (``window_simd``: an MVAU's
      SIMD, a VVAU's PE), so no width converter sits between them, as the presets do;
    - a padding node takes the SIMD of the window it feeds, when that divides its channels;
    - any other node (or a window or pad whose consumer's width does not divide its channels)
      the fewest lanes whose cycles stay within the slowest named node's, so a filled-in node
      is never the bottleneck (fully folded when the point names no node).

    Filled-in nodes take ``mem_style`` (default: the named nodes' style when they all share
    one, else distributed, where the block offers it) and FIFO depths by the preset rule
    (``with_fifos``); named nodes keep theirs; where the graph branches the fork FIFOs are
    sized (``with_fork_fifos``, keeping given depths). A folding for a node the graph does not
    have, or an illegal one, is refused by ``check_design`` naming the node."""
    given = dict(point.nodes)
    names = {n.name for n in graph.nodes}
    unknown = [n for n in given if n not in names]
    if unknown or all(n.name in given for n in graph.nodes):
        return point  # nothing to fill in; check_design names an unknown node
    styles = {f.mem_style for f in given.values()}
    style = mem_style or (styles.pop() if len(styles) == 1 else MemStyle.DISTRIBUTED)
    bound = max((_cycles_of(graph, n, f) for n, f in given.items()), default=None)
    chosen = dict(given)
    order = sorted(
        (n for n in graph.nodes if n.name not in given),
        key=lambda n: isinstance(n.op, SlidingWindow) + 2 * isinstance(n.op, Pad),
    )
    for node in order:  # others first, then windows (from their units), then pads
        chosen[node.name] = _fill(graph, node, chosen, style, bound)
    filled = DesignPoint(
        tuple((n.name, chosen[n.name]) for n in graph.nodes), point.fifos, point.device
    )
    depths = dict(with_fifos(graph, filled).nodes)
    nodes = tuple(
        (n, f if n in given else replace(f, fifo_depth=depths[n].fifo_depth))
        for n, f in filled.nodes
    )
    return with_fork_fifos(graph, replace(filled, nodes=nodes))


def _cycles_of(graph: Graph, name: str, folding: NodeFolding) -> int:
    node = graph.node(name)
    block = block_of(node)
    return int(block.cycles(block.params(graph, node), folding))


def _fill(
    graph: Graph,
    node: Node,
    chosen: Mapping[str, NodeFolding],
    style: MemStyle,
    bound: int | None,
) -> NodeFolding:
    block = block_of(node)
    params = block.params(graph, node)
    options = list(block.foldings(params))
    options = [f for f in options if f.mem_style is style] or options
    width = _consumer_width(graph, node, chosen)
    matching = [f for f in options if width is not None and f.simd == width and f.pe == 1]
    if matching:
        return matching[0]
    fast = [f for f in options if bound is None or block.cycles(params, f) <= bound]
    pool = fast or [min(options, key=lambda f: block.cycles(params, f))]
    return min(pool, key=lambda f: (f.pe * f.simd, f.pe, -f.simd))


def _consumer_width(graph: Graph, node: Node, chosen: Mapping[str, NodeFolding]) -> int | None:
    """The SIMD a window takes from its unit, or a pad from its window (None: no rule)."""
    if isinstance(node.op, SlidingWindow):
        return window_simd(graph, node, chosen)
    consumers = graph.consumers(node.output.name)
    window = consumers[0] if len(consumers) == 1 else None
    if isinstance(node.op, Pad) and window is not None and window.name in chosen:
        return chosen[window.name].simd if isinstance(window.op, SlidingWindow) else None
    return None
