"""FINN's published foldings, applied to our kernel graphs for like-for-like comparisons.

FINN-R (Blott et al., TRETS 2018) and the FINN examples give PE and SIMD per matrix-vector
layer only. ``finn_point`` assigns them to our Mvau nodes in graph order, then folds the
streaming blocks around them so they never set the pace: a sliding window takes its consumer's
SIMD (no width converter between them), and pooling, padding and thresholding take the
smallest legal lane count that keeps them within the slowest matrix-vector layer's cycles.
Memory styles are ours (FINN's PE/SIMD do not fix them): weight memories by their size
(``BLOCK_RAM_BITS``), window buffers by their depth (``DEEP_BUFFER_WORDS``).
"""

from __future__ import annotations

from dataclasses import replace

from streamfold.dse.design_point import DesignPoint, with_fifos
from streamfold.errors import FoldingError
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.maxpool import cost as maxpool_cost
from streamfold.hw.maxpool.params import MaxPoolParams
from streamfold.hw.registry import block_of
from streamfold.hw.swg.params import SwgParams
from streamfold.ir.graph import Graph
from streamfold.ir.ops import Mvau, SlidingWindow

# (PE, SIMD) per matrix-vector layer: conv0..conv5, fc0..fc2 (FINN's cnv-w1a1 Pynq-Z1 build,
# as given in issue 6: 32,768 cycles per frame, 3,052 frames/s predicted at 100 MHz, 3,020
# measured on the board).
CNV_PYNQ: tuple[tuple[int, int], ...] = (
    (16, 3),
    (32, 32),
    (16, 32),
    (16, 32),
    (4, 32),
    (1, 32),
    (1, 4),
    (1, 8),
    (5, 1),
)

# Weight memories of at least this many bits go to block RAM, smaller ones to LUT RAM.
BLOCK_RAM_BITS = 16 * 1024
# Window buffers (sliding windows, max pools) deeper than this go to block RAM: a LUT-RAM read
# is a mux tree over depth / 16 (ECP5) or depth / 64 (7-series) leaves, and CNV's 4,096 x 1
# max-pool buffer read that way was its critical path on LFE5U-85F (10.5 ns, 95 MHz; the
# Fmax model's LUT-ROM line crosses the window's own control path, 7.7 ns, near 1,100 words).
DEEP_BUFFER_WORDS = 1024


def finn_point(graph: Graph, pe_simd: tuple[tuple[int, int], ...]) -> DesignPoint:
    """A DesignPoint with ``pe_simd`` on the Mvau nodes (in order) and the streaming blocks
    folded around them (module docstring); FIFO depths by ``with_fifos``."""
    mvaus = [n for n in graph.nodes if isinstance(n.op, Mvau)]
    if len(mvaus) != len(pe_simd):
        raise FoldingError(
            f"finn folding: the graph has {len(mvaus)} matrix-vector layers, the folding "
            f"gives {len(pe_simd)}"
        )
    chosen: dict[str, NodeFolding] = {}
    for node, (pe, simd) in zip(mvaus, pe_simd, strict=True):
        assert isinstance(node.op, Mvau)
        bits = node.op.weight.array.size * node.op.weight_dtype.bits
        style = MemStyle.BLOCK if bits >= BLOCK_RAM_BITS else MemStyle.DISTRIBUTED
        chosen[node.name] = NodeFolding(pe=pe, simd=simd, mem_style=style)
    target = max(_cycles(graph, n.name, chosen[n.name]) for n in mvaus)
    for i, node in enumerate(graph.nodes):
        if node.name in chosen:
            continue
        if isinstance(node.op, SlidingWindow):
            consumer = graph.nodes[i + 1].name
            if consumer in chosen:
                params = block_of(node).params(graph, node)
                chosen[node.name] = _buffer_style(params, NodeFolding(simd=chosen[consumer].simd))
                continue
        chosen[node.name] = _least_lanes(graph, node.name, target)
    point = DesignPoint(tuple((n.name, chosen[n.name]) for n in graph.nodes))
    return with_fifos(graph, point)


def _cycles(graph: Graph, name: str, folding: NodeFolding) -> int:
    node = graph.node(name)
    block = block_of(node)
    return block.cycles(block.params(graph, node), folding)


def _least_lanes(graph: Graph, name: str, target: int) -> NodeFolding:
    node = graph.node(name)
    block = block_of(node)
    params = block.params(graph, node)
    options = [f for f in block.foldings(params) if f.mem_style is MemStyle.DISTRIBUTED]
    fast = [f for f in options if block.cycles(params, f) <= target]
    pool = fast or [min(options, key=lambda f: block.cycles(params, f))]
    return _buffer_style(params, min(pool, key=lambda f: (f.pe * f.simd, f.pe)))


def _buffer_style(params: object, folding: NodeFolding) -> NodeFolding:
    """``folding`` with its window buffer in block RAM when deeper than DEEP_BUFFER_WORDS."""
    if not isinstance(params, SwgParams | MaxPoolParams):
        return folding
    deep = maxpool_cost.window_buffer_words(params, folding) > DEEP_BUFFER_WORDS
    return replace(folding, mem_style=MemStyle.BLOCK) if deep else folding
