"""Baseline: FINN+'s SetFolding, reproduced step for step, for comparison.

Source: eki-project/finn-plus (the FINN+ 1.6.x line, PyPI ``finn-plus``),
``src/finn/transformation/fpgadataflow/set_folding.py`` at commit
06dde0f8eafd9e7a4469820c2ce89562fa883fbd: ``SetFolding(target_cycles_per_frame,
mvau_wwidth_max=36, two_pass_relaxation=True)``. Its cycle estimates (``get_exp_cycles``) are
FINN's, from ``custom_op/fpgadataflow/rtl/convolutioninputgenerator_rtl.py`` (commit
076584743bcfaa51956ab133406f5d7f0f5a251c) and ``streamingmaxpool.py`` (commit
4480c738363445582e48323650ebf7f40dfe0d39); for the
matrix-vector, vector-vector, thresholding and padding nodes they equal ours exactly
(``NF * SF * vectors``, ``pixels * channels / PE``, output words).

Per node, in graph order, resource-blind (FINN's memory style is a separate step; here one
style for all):

- MVAU: PE = SIMD = 1; SIMD runs through the divisors of MW (in_features), stopping at the
  first whose cycles are ``<= target``, or, when SIMD x weight bits exceeds ``mvau_wwidth_max``,
  reverting to the previous divisor (the cycle test comes first: a SIMD that meets the target
  is kept however wide); then ``optimize_attribute_val`` raises PE through the
  divisors of MH (out_features) until cycles ``<= target``.
- ``optimize_attribute_val`` (every other folded op): the attribute from 1 through the
  divisors of its maximum until cycles ``<= target``; PE for thresholding, element-wise add
  (AddStreams) and global pooling (GlobalAccPool), SIMD for padding (FMPadding_rtl) and a
  sliding window (ConvolutionInputGenerator_rtl, non-depthwise) by FINN's own window formula
  (``finn_cycles``). The window is folded on its own: a width converter sits between it and
  its MVAU when their SIMDs differ, as FINN's InsertDWC adds one.
- VVAU (depthwise): SIMD = 1, PE through the divisors of the channels; when PE reached the
  channels and cycles still exceed the target, SIMD through the divisors of the kernel
  positions. The window in front takes the VVAU's PE as its SIMD.
- concatenation (StreamingConcat_hls): SIMD through the divisors of the channels until cycles
  are *strictly* below the target (FINN+ keeps ``<`` there).
- max pooling with kernel = stride: FINN lowers it to StreamingMaxPool_hls, which SetFolding
  does not fold (it only warns); in 2-D that block takes every channel per word
  (``get_folded_input_shape``), so here it has lanes = channels, and its FINN estimate
  ``int(W * W * (1 + 1 / K^2))`` enters the relaxation; in 1-D its PE stays 1. Overlapping max
  pooling (Pool_hls, a depthwise op) raises PE through the channels until ``<= target``.
- ops FINN has no block for here (upsampling, depth-to-space): not FINN; the fewest lanes
  whose cycles are ``<= target``, as ``optimize_attribute_val`` would.
- two-pass relaxation: when the slowest node's FINN estimate exceeds the target, the whole
  pass runs once more with that estimate as the target (no further relaxation).

Not modelled: the RTL window's ``parallel_window`` mode (set only when SIMD = channels and
cycles still exceed the target: our window has no such mode) and MMV. FIFO depths follow the
preset rule (``design_point.with_fifos``), as for every other strategy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from streamfold.dse.design_point import DesignPoint, with_fifos
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.maxpool.params import MaxPoolParams
from streamfold.hw.registry import block_of
from streamfold.hw.swg.params import SwgParams
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import Concat, MaxPool, Mvau, SlidingWindow, Vvau

MVAU_WWIDTH_MAX = 36  # FINN's default weight-stream width limit per PE (bits)

Cycles = Callable[[NodeFolding], int]


def swg_exp_cycles(params: SwgParams, simd: int) -> int:
    """FINN's ConvolutionInputGenerator_rtl.get_exp_cycles, default style, no dilation."""
    cf = params.channels // simd
    if len(params.in_dims) == 1:
        (k,), (s,), (w,) = params.kernel_size, params.stride, params.in_dims
        return ((w - k) // s + 1) * k * cf + 2
    (k_h, k_w), (s_h, s_w), (h, w) = params.kernel_size, params.stride, params.in_dims
    ofm_h, ofm_w = (h - k_h) // s_h + 1, (w - k_w) // s_w + 1
    buffer_min_size = ((k_h - 1) * w + (k_w - 1) + 1) * cf
    return buffer_min_size + ofm_h * max(ofm_w * k_w * k_h * cf, s_w * w * cf)


def streaming_maxpool_exp_cycles(params: MaxPoolParams) -> int:
    """FINN's StreamingMaxPool.get_exp_cycles (PE 1 in 1-D; 2-D ignores PE, as FINN does)."""
    w, k = params.in_dims[-1], params.kernel_size[-1]
    if len(params.in_dims) == 1:
        return (w // k) * params.channels * (k + 1)
    return int(w * w * (1 + 1 / (k * k)))


def _streaming_maxpool(node: Node, params: Any) -> bool:
    return isinstance(node.op, MaxPool) and tuple(params.kernel_size) == tuple(params.stride)


def finn_cycles(node: Node, params: Any, folding: NodeFolding) -> int:
    """The cycles FINN+ estimates for ``node`` at ``folding`` (module docstring)."""
    if isinstance(node.op, SlidingWindow):
        return swg_exp_cycles(params, folding.simd)
    if _streaming_maxpool(node, params):
        return streaming_maxpool_exp_cycles(params)
    return int(block_of(node).cycles(params, folding))


def _with(folding: NodeFolding, attr: str, value: int) -> NodeFolding:
    return replace(folding, pe=value) if attr == "pe" else replace(folding, simd=value)


def _optimize(folding: NodeFolding, attr: str, values: list[int], cycles: Cycles, target: int,
              strict: bool = False) -> NodeFolding:  # fmt: skip
    """FINN's ``optimize_attribute_val``: ``attr`` from 1 through ``values`` until the cycles
    are ``<= target`` (``< target`` with ``strict``, as StreamingConcat's loop)."""
    folding = _with(folding, attr, 1)
    for value in values:
        folding = _with(folding, attr, value)
        c = cycles(folding)
        if c < target or (c == target and not strict):
            break
    return folding


def _mvau(folding: NodeFolding, simds: list[int], pes: list[int], weight_bits: int,
          cycles: Cycles, target: int) -> NodeFolding:  # fmt: skip
    for simd in simds:
        previous = folding.simd
        folding = replace(folding, simd=simd)
        if cycles(folding) <= target:
            break
        if weight_bits * simd > MVAU_WWIDTH_MAX:
            folding = replace(folding, simd=previous)
            break
    return _optimize(folding, "pe", pes, cycles, target)


def _vvau(folding: NodeFolding, pes: list[int], simds: list[int], cycles: Cycles,
          target: int) -> NodeFolding:  # fmt: skip
    folding = _optimize(replace(folding, simd=1), "pe", pes, cycles, target)
    if folding.pe == max(pes) and cycles(folding) > target:
        folding = _optimize(folding, "simd", simds, cycles, target)
    return folding


def _fold_node(graph: Graph, node: Node, params: Any, target: int, style: MemStyle) -> NodeFolding:
    block = block_of(node)
    legal = [f for f in block.foldings(params) if f.mem_style is style] or list(
        block.foldings(params)
    )
    folding = NodeFolding(mem_style=legal[0].mem_style)
    pes = sorted({f.pe for f in legal})
    simds = sorted({f.simd for f in legal if f.pe == max(pes)})

    def cycles(f: NodeFolding) -> int:
        return finn_cycles(node, params, f)

    if isinstance(node.op, Mvau):
        simds = sorted({f.simd for f in legal})
        return _mvau(folding, simds, pes, node.op.weight_dtype.bits, cycles, target)
    if isinstance(node.op, Vvau):
        return _vvau(folding, pes, simds, cycles, target)
    attr = "pe" if len(pes) > 1 else "simd"
    values = pes if attr == "pe" else simds
    if _streaming_maxpool(node, params):
        lanes = params.channels if len(params.in_dims) == 2 else 1
        return _with(folding, attr, lanes)
    return _optimize(folding, attr, values, cycles, target, strict=isinstance(node.op, Concat))


def _params(graph: Graph, known: Mapping[str, Any] | None) -> dict[str, Any]:
    if known is not None:
        return dict(known)
    return {n.name: block_of(n).params(graph, n) for n in graph.nodes}


def _one_pass(
    graph: Graph, target: int, style: MemStyle, params: Mapping[str, Any]
) -> tuple[DesignPoint, int]:
    """One SetFolding pass; returns the point and the slowest node's FINN estimate."""
    chosen: dict[str, NodeFolding] = {}
    for node in graph.nodes:
        p = params[node.name]
        if isinstance(node.op, SlidingWindow) and _depthwise_window(graph, node):
            continue  # set by its VVAU below ("depthwise SWGs are handled separately")
        chosen[node.name] = _fold_node(graph, node, p, target, style)
        if isinstance(node.op, Vvau):
            window = graph.producer(node.inputs[0])
            if window is not None and isinstance(window.op, SlidingWindow):
                chosen[window.name] = NodeFolding(simd=chosen[node.name].pe, mem_style=style)
    point = DesignPoint(tuple((n.name, chosen[n.name]) for n in graph.nodes))
    worst = max(finn_cycles(n, params[n.name], chosen[n.name]) for n in graph.nodes)
    return point, worst


def _depthwise_window(graph: Graph, node: Node) -> bool:
    consumers = graph.consumers(node.output.name)
    return len(consumers) == 1 and isinstance(consumers[0].op, Vvau)


def set_folding(
    graph: Graph,
    target_cycles_per_frame: int,
    mem_style: MemStyle = MemStyle.DISTRIBUTED,
    two_pass_relaxation: bool = True,
    params: Mapping[str, Any] | None = None,
) -> DesignPoint:
    """FINN+'s SetFolding (see the module docstring) on kernel graph ``graph``; ``params``:
    the nodes' block parameters by name, when the caller has them (``Space.params``)."""
    known = _params(graph, params)
    point, worst = _one_pass(graph, target_cycles_per_frame, mem_style, known)
    if two_pass_relaxation and worst > target_cycles_per_frame:
        point, _ = _one_pass(graph, worst, mem_style, known)
    return with_fifos(graph, point, params)
