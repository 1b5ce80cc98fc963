"""Thresholds or multiply-shift for each Requantize, chosen by the blocks' resource models.

A Requantize lowers to thresholds (``levels - 1`` comparators and stored thresholds per channel;
fused into the MVAU it follows, or the standalone thresholding block) or to the multiply-shift
block (one product per channel whatever the width). ``cheaper_lowering`` lowers the node both
ways and prices each with its block's calibrated model (``hw.thresholding.cost``,
``hw.mulshift.cost``) at PE 1 in its cheapest memory style, as LUT equivalents
(``lut_equivalent``); ties go to thresholds, which fuse into the MVAU.

Where a Requantize follows a matrix product, either fuses into the MVAU's output stage:
thresholds a row per output channel (per-tensor rows repeated, as ``lower_to_kernels`` stores
them), multiply-shift as sf_mvau's MS stage, which ``hw.mvau.cost`` prices as this block.
Elsewhere (after pooling, a depthwise convolution, an add) each is its standalone block.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from streamfold.cost.devices import Family
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.mulshift import cost as mulshift_cost
from streamfold.hw.mulshift.params import MulShiftParams
from streamfold.hw.thresholding import cost as thresholding_cost
from streamfold.hw.thresholding.params import ThresholdingParams
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import Conv, IntArray, MatMul, MulShift, MultiThreshold
from streamfold.synth.resources import Resources
from streamfold.transforms.lower_requantize import Lowering, lower_node

# Bits one LUT holds as distributed RAM: a Xilinx LUT6 64 (RAM64X1S, UG474 ch. 2); on ECP5
# four LUT4s hold a 16 x 4 TRELLIS_DPR16X4 (FPGA-TN-02032), 16 bits per LUT.
LUTRAM_BITS_PER_LUT = {Family.XILINX7: 64, Family.XILINX_USP: 64, Family.ECP5: 16}
# Wider outputs are not priced as thresholds (4,095+ per channel: never the cheaper, and slow
# to compute); streamfold.flow refuses thresholds this wide.
MAX_PRICED_THRESHOLD_BITS = 12
# A RAMB18 (Xilinx, UG473 ch. 1) or DP16KD (ECP5) holds 18 Kib.
BRAM_BITS = 18 * 1024
# 7-series and ECP5 slices hold two flip-flops per LUT (UG474 ch. 2; FPGA-DS-02012 ch. 2).
FF_PER_LUT = 2


def lut_equivalent(r: Resources, family: Family) -> float:
    """LUTs + FFs / 2 + each block RAM as the LUTs holding its bits as distributed RAM.
    DSPs do not occur (the models price multipliers as LUT logic, as synthesised)."""
    bram_luts = BRAM_BITS / LUTRAM_BITS_PER_LUT[family]
    return r.lut + r.ff / FF_PER_LUT + r.bram * bram_luts


def lowering_costs(graph: Graph, node: Node, family: Family) -> dict[Lowering, Resources]:
    """The resources of each lowering of the Requantize ``node`` (both must be feasible),
    at PE 1 in its cheapest memory style."""
    return {how: _cheapest(_candidates(graph, node, how), family) for how in Lowering}


def cheaper_lowering(family: Family = Family.XILINX7) -> Callable[[Graph, Node], Lowering]:
    """A chooser for ``lower_requantize``: the lowering of fewer LUT equivalents on
    ``family`` (thresholds on a tie; multiply-shift past ``MAX_PRICED_THRESHOLD_BITS``)."""

    def choose(graph: Graph, node: Node) -> Lowering:
        if node.output.dtype.bits > MAX_PRICED_THRESHOLD_BITS:
            return Lowering.MULSHIFT
        costs = lowering_costs(graph, node, family)
        thr, ms = (lut_equivalent(costs[h], family) for h in Lowering)
        return Lowering.MULSHIFT if ms < thr else Lowering.THRESHOLDS

    return choose


def _cheapest(options: list[Callable[[Family], Resources]], family: Family) -> Resources:
    priced = [price(family) for price in options]
    return min(priced, key=lambda r: lut_equivalent(r, family))


def _candidates(graph: Graph, node: Node, how: Lowering) -> list[Callable[[Family], Resources]]:
    lowered = lower_node(graph, node, how)
    op = lowered.node(node.name).op
    x = lowered.value(node.inputs[0])
    channels, out = x.shape[0], node.output.dtype
    styles = list(MemStyle)
    if isinstance(op, MulShift):
        ms = MulShiftParams(channels, x.dtype, out, op.multiplier, op.bias, op.shift)
        return [_priced(mulshift_cost.resources, ms, s) for s in styles]
    assert isinstance(op, MultiThreshold)
    t = op.thresholds
    if _fuses(graph, node) and t.shape[0] != channels:
        t = IntArray(np.repeat(t.array, channels, axis=0))
    th = ThresholdingParams(channels, x.dtype, out, t)
    return [_priced(thresholding_cost.resources, th, s) for s in styles]


def _priced(
    resources: Callable[..., Resources], params: object, style: MemStyle
) -> Callable[[Family], Resources]:
    return lambda family: resources(params, NodeFolding(pe=1, mem_style=style), family)


def _fuses(graph: Graph, node: Node) -> bool:
    """Whether thresholds for ``node`` fuse into the MVAU of the matrix product before it."""
    src = graph.producer(node.inputs[0])
    return (
        src is not None
        and isinstance(src.op, MatMul | Conv)
        and len(graph.consumers(src.output.name)) == 1
        and src.output.name not in graph.outputs
    )
