"""Cycle and resource models of sf_peakpick.v (cycles measured by tests/hw/test_peakpick.py).

A frame takes its L / P input words and E = ceil(min_distance / P) flush steps, one per
cycle. Each step's decision then passes ``STAGES`` registers (the decided word, keep bits,
prefix counts, local slots) before the append writes the list, and the output register the
edge after; a frame's last step waits until the output register is free and no other last
decision is in flight, so a frame takes at least ``STAGES + 2`` cycles.
"""

from __future__ import annotations

from streamfold.cost.devices import Family
from streamfold.hw.block import NodeFolding
from streamfold.hw.peakpick.params import FIELDS, PeakPickParams
from streamfold.synth.resources import Resources


def context_words(params: PeakPickParams, folding: NodeFolding) -> int:
    """E: words of context on either side of the decided word."""
    return -(-params.min_distance // folding.simd)


STAGES = 4  # registers from a step to the append: decided word, keep, prefix, local slots


def steps(params: PeakPickParams, folding: NodeFolding) -> int:
    """A frame's steps: its input words and E flush steps."""
    return params.length // folding.simd + context_words(params, folding)


def cycles(params: PeakPickParams, folding: NodeFolding) -> int:
    """Initiation interval: the frame's steps, or, when they are fewer, the gap between two
    last steps (the output register written ``STAGES`` + 1 cycles after one, emptied the
    next, then the next last step)."""
    return max(steps(params, folding), STAGES + 2)


def latency(params: PeakPickParams, folding: NodeFolding) -> int:
    """First input handshake to the frame's output handshake (no stalls): the frame's
    steps, the last decision through the stages, the output register."""
    return steps(params, folding) + STAGES


def needed(params: PeakPickParams, folding: NodeFolding) -> int:
    """The record list needs the whole frame."""
    return params.length // folding.simd


# ------------------------------------------------------------------------------- resources
# Counts of sf_peakpick.v's logic: one unit per comparator or adder bit, one per multiplexed
# record bit per lane of the append network, scaled by LUT_PER_UNIT. That one factor is
# fitted to Yosys synth_xilinx at P = 1, 2, 4, 8 (128 x u8 scores, distance 4, 4 records:
# 392 / 628 / 1078 / 2073 LUTs against 619 / 938 / 1576 / 3252 units, ratios 0.63-0.68) and
# checked at P = 16 (4050 LUTs, predicted 4293: +6 %), ``bench/peaks.py --synth-only``;
# flip-flops are counted, not fitted (P = 16: 766 counted, 653 by Yosys, which drops
# constant bits such as den's lowest).
LUT_PER_UNIT = 0.65


def _bits(params: PeakPickParams) -> tuple[int, int, int]:
    """(XB: a signed score, OB: a record element, RB: a record)."""
    ob = params.out_dtype.bits
    return params.dtype.bits + 2, ob, FIELDS * ob


def resources(params: PeakPickParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF of sf_peakpick (see above; the Xilinx fit is used for every family)."""
    p, e = folding.simd, context_words(params, folding)
    window = (2 * e + 1) * p
    xb, ob, rb = _bits(params)
    candidates = (window - 2) * (3 * xb + 2 * len(bin(params.length)))  # 3 compares, 2 bounds
    suppress = p * 2 * (params.min_distance - 1) * xb
    arithmetic = p * (3 * ob)  # num, den, position
    append = params.max_peaks * rb * p
    lut = round(LUT_PER_UNIT * (candidates + suppress + arithmetic + append))
    ff = window * params.dtype.bits + 2 * params.max_peaks * rb + 3 * len(bin(params.length))
    return Resources(lut=lut, ff=ff, lutram=0, bram=0, dsp=0)
