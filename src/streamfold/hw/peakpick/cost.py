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
# Counts of sf_peakpick.v's logic, scaled by LUT_PER_UNIT: one unit per comparator bit
# (candidates, frame bounds on the word's first sample, suppression), per thermometer bit of
# the prefix tree's adders, per record-arithmetic bit, per multiplexed record bit of the
# append; a third of a unit per (slot, bit, lane) of the compaction's AND-OR select (a LUT6
# takes three lanes). The factor is fitted to Yosys synth_xilinx (xc7z020) at P = 1, 2, 4, 8
# (128 x u8 scores, distance 4, 4 records: 329 / 437 / 698 / 1045 LUTs against
# 726 / 1008 / 1506 / 2343 units, ratios 0.43-0.46, mean 0.449) and checked at P = 16
# (1762 LUTs, predicted 1820: +3.3 %) and P = 32 (3267 LUTs, predicted 3375: +3.3 %),
# ``bench/peaks.py --synth-only``. Flip-flops are counted, not fitted (every register of the
# RTL; P = 16: 1283 counted, 1151 by Yosys, which drops constant bits such as den's lowest).
LUT_PER_UNIT = 0.45


def _bits(params: PeakPickParams) -> tuple[int, int, int]:
    """(XB: a signed score, OB: a record element, RB: a record)."""
    ob = params.out_dtype.bits
    return params.dtype.bits + 2, ob, FIELDS * ob


def _width(n: int) -> int:
    """Bits of a counter over 0 .. n-1 (sf_peakpick.v's bits_for)."""
    return max(1, (n - 1).bit_length())


def resources(params: PeakPickParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF of sf_peakpick (see above; the Xilinx fit is used for every family)."""
    p, e = folding.simd, context_words(params, folding)
    d, maxp = params.min_distance, params.max_peaks
    window = (2 * e + 1) * p
    xb, ob, rb = _bits(params)
    bits, cb = params.dtype.bits, _width(params.length)
    s = min(p, maxp)  # local slots
    db = 3 * bits + _width(p)  # a lane's scores and index
    candidates = (window - 2) * 3 * xb + (2 * e * p + 1) * cb  # 3 compares; the frame bounds
    suppress = p * 2 * (d - 1) * xb
    prefix = (p // 2) * (p - 1).bit_length() * s  # Sklansky: P / 2 adders per level
    compact = s * db * p / 3
    arithmetic = s * 3 * ob  # num, den, position per local slot
    append = rb * sum(min(j + 1, s) + 1 for j in range(maxp))  # list slot j: old or local 0..j
    units = candidates + suppress + prefix + compact + arithmetic + append
    lut = round(LUT_PER_UNIT * units)
    stages = 2 * p + 2 * (p + 2) * bits + 3 * cb + 6 + p * s + s + s * db + _width(s + 1)
    control = _width(steps(params, folding)) + cb + 3 + _width(maxp + 1)
    ff = window * bits + 2 * maxp * rb + stages + control
    return Resources(lut=lut, ff=ff, lutram=0, bram=0, dsp=0)
