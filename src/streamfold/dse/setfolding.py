"""Baseline: FINN's SetFolding reproduced on streamfold's cycle model, for comparison.

Reproduced from Xilinx/finn ``src/finn/transformation/fpgadataflow/set_folding.py``
(``SetFolding(target_cycles_per_frame, mvau_wwidth_max=36, two_pass_relaxation=True)``):

- per node, in graph order, resource-blind; memory style is not chosen (one style for all);
- a matrix-vector unit starts at PE = SIMD = 1 and raises SIMD through the divisors of
  in_features until its cycles are *strictly* below the target, or until SIMD x weight bits
  would exceed ``mvau_wwidth_max`` (then SIMD is reverted one step); then it raises PE through
  the divisors of out_features the same way (up to out_features);
- a PE-only node (thresholding) raises PE through the divisors of its channels the same way;
- two-pass relaxation: when the slowest node still misses the target, the whole pass runs
  again once with the slowest node's cycles as the target, to balance the pipeline.
- a sliding window that feeds a matrix-vector unit takes the unit's SIMD (no width converter
  between them) when that divides the window's channels; otherwise (a SIMD wider than the
  channels, as in a first layer of 3 channels) it is folded on its own like every streaming
  node: its lanes (SIMD) raised through the divisors of its channels until its cycles are
  strictly below the target, as FINN does for ConvolutionInputGenerator, pooling and padding.
- a depthwise VVAU raises PE through the divisors of its channels until its cycles are
  strictly below the target, then, with PE = channels, SIMD through the divisors of its kernel
  positions (FINN's ``depthwise_op_exceptions``); its sliding window takes the VVAU's PE.
FIFO depths follow the preset rule (``design_point``), as for every other strategy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from streamfold.dse.design_point import DesignPoint, window_simd, with_fifos
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.registry import block_of
from streamfold.ir.graph import Graph
from streamfold.ir.ops import Vvau

MVAU_WWIDTH_MAX = 36  # FINN's default weight-stream width limit per PE (bits)


def _params(graph: Graph, name: str, known: Mapping[str, Any] | None) -> Any:
    node = graph.node(name)
    return known[name] if known is not None else block_of(node).params(graph, node)


def _fold_node(
    graph: Graph, name: str, target: int, mem_style: MemStyle, known: Mapping[str, Any] | None
) -> NodeFolding:
    block = block_of(graph.node(name))
    params = _params(graph, name, known)
    legal = {f for f in block.foldings(params) if f.mem_style is mem_style}
    simds = sorted({f.simd for f in legal})
    pes = sorted({f.pe for f in legal})
    folding = NodeFolding(mem_style=mem_style)
    if isinstance(graph.node(name).op, Vvau):
        return _fold_vvau(block, params, folding, pes, simds, target)
    weight_bits = getattr(getattr(params, "weight_dtype", None), "bits", 0)
    if len(simds) > 1:
        for simd in simds:
            previous = folding
            folding = replace(folding, simd=simd)
            if block.cycles(params, folding) < target:
                return folding
            if weight_bits * simd > MVAU_WWIDTH_MAX:
                folding = previous
                break
    for pe in pes:
        folding = replace(folding, pe=pe)
        if block.cycles(params, folding) < target:
            break
    return folding


def _fold_vvau(
    block: Any, params: Any, folding: NodeFolding, pes: list[int], simds: list[int], target: int
) -> NodeFolding:
    """PE up to the channels first, then SIMD (legal only with PE = channels)."""
    for pe in pes:
        folding = replace(folding, pe=pe)
        if block.cycles(params, folding) < target:
            return folding
    for simd in simds:
        folding = replace(folding, simd=simd)
        if block.cycles(params, folding) < target:
            break
    return folding


def _one_pass(
    graph: Graph, target: int, mem_style: MemStyle, known: Mapping[str, Any] | None
) -> tuple[DesignPoint, int]:
    folded = {n.name: _fold_node(graph, n.name, target, mem_style, known) for n in graph.nodes}
    for node in graph.nodes:
        simd = window_simd(graph, node, folded)
        if simd is not None:
            folded[node.name] = NodeFolding(simd=simd, mem_style=mem_style)
    chosen = tuple((n.name, folded[n.name]) for n in graph.nodes)
    worst = 0
    for name, folding in chosen:
        block = block_of(graph.node(name))
        worst = max(worst, int(block.cycles(_params(graph, name, known), folding)))
    return DesignPoint(chosen), worst


def set_folding(
    graph: Graph,
    target_cycles_per_frame: int,
    mem_style: MemStyle = MemStyle.DISTRIBUTED,
    two_pass_relaxation: bool = True,
    params: Mapping[str, Any] | None = None,
) -> DesignPoint:
    """FINN's SetFolding (see the module docstring) on ``graph``; ``params``: the nodes' block
    parameters by name, when the caller has them (``Space.params``)."""
    point, worst = _one_pass(graph, target_cycles_per_frame, mem_style, params)
    if two_pass_relaxation and worst > target_cycles_per_frame:
        point, _ = _one_pass(graph, worst, mem_style, params)
    return with_fifos(graph, point, params)
