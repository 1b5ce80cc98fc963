"""Cycle and resource models of sf_peakpick.v (cycles measured by tests/hw/test_peakpick.py).

A frame takes its L / P input words and E = ceil(min_distance / P) flush steps, one per
cycle. Each step's decision then passes ``STAGES`` registers (the decided word, keep bits,
group prefix counts, local slots, their records) before the append writes the list, and
the output register the edge after; a frame's last step waits until the output register
is free and no other last decision is in flight, so a frame takes at least ``STAGES + 2``
cycles.
"""

from __future__ import annotations

from streamfold.cost.devices import Family
from streamfold.hw.block import NodeFolding, bits_for
from streamfold.hw.peakpick.params import FIELDS, PeakPickParams
from streamfold.synth.resources import Resources


def context_words(params: PeakPickParams, folding: NodeFolding) -> int:
    """E: words of context on either side of the decided word."""
    return -(-params.min_distance // folding.simd)


STAGES = 5  # registers from a step to the append: word, keep, prefix, slots, records


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
# (the candidates the decisions read, frame bounds on the word's first sample, suppression),
# per thermometer bit of the prefix tree's adders, per record-arithmetic bit, per multiplexed
# record bit of the append; a third of a unit per (bit, lane) of the AND-OR selects (group
# records, then the slots from the groups: a LUT6 takes three lanes). The factor is fitted to
# Yosys synth_xilinx (xc7z020) at P = 1, 2, 4, 8 (128 x u8 scores, distance 4, 4 records:
# 355 / 407 / 480 / 687 LUTs against 729 / 827 / 1025 / 1618 units, ratios 0.42-0.49, mean
# 0.468) and checked at P = 16 (1231 LUTs, predicted 1284: +4.3 %) and P = 32 (2102 LUTs,
# predicted 2124: +1.0 %), ``bench/peaks.py --synth-only``. Flip-flops are counted, not
# fitted (every register the logic reads; P = 16: 1303 counted, 1210 by Yosys; P = 32:
# 1846 and 1737; Yosys drops constant bits such as den's lowest).
LUT_PER_UNIT = 0.468


def _bits(params: PeakPickParams) -> tuple[int, int, int]:
    """(XB: a signed score, OB: a record element, RB: a record)."""
    ob = params.out_dtype.bits
    return params.dtype.bits + 2, ob, FIELDS * ob


def groups(params: PeakPickParams, folding: NodeFolding) -> int:
    """NG: groups of G = min(max(min_distance, 2), P) lanes per word, each holding at most one
    kept peak (kept peaks are at least min_distance apart, candidates at least 2)."""
    g = min(max(params.min_distance, 2), folding.simd)
    return -(-folding.simd // g)


def resources(params: PeakPickParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF of sf_peakpick (see above; the Xilinx fit is used for every family)."""
    p, e = folding.simd, context_words(params, folding)
    d, maxp = params.min_distance, params.max_peaks
    window = (2 * e + 1) * p
    xb, ob, rb = _bits(params)
    bits, cb = params.dtype.bits, bits_for(params.length)
    ng = groups(params, folding)
    s = min(ng, maxp)  # local slots
    db = 3 * bits + bits_for(p)  # a lane's scores and index
    # the candidates the decisions read (lanes and d - 1 on each side): 3 compares, the
    # frame bounds of the d slots on each side next to the centre word
    candidates = (p + 2 * (d - 1)) * 3 * xb + 2 * d * cb
    suppress = p * 2 * (d - 1) * xb
    group = p * db / 3 + ng  # each group's kept lane: AND-OR over its lanes; its keep bit
    prefix = (ng // 2) * (ng - 1).bit_length() * s  # Sklansky: NG / 2 adders per level
    compact = s * db * ng / 3
    arithmetic = s * 3 * ob  # num, den, position per local slot
    append = rb * sum(min(j + 1, s) + 1 for j in range(maxp))  # list slot j: old or local 0..j
    units = candidates + suppress + group + prefix + compact + arithmetic + append
    lut = round(LUT_PER_UNIT * units)
    stages = p + (p + 2) * bits + 3 * cb + 8 + ng * (1 + db + s) + s + s * (db + rb)
    stages += maxp + 2 * maxp * s  # the list's count at stage 3; the slots' list slots
    control = bits_for(steps(params, folding)) + cb + 3
    read = window - (e * p - d)  # the window's slots from the first candidate's left one
    ff = read * bits + 2 * maxp * rb + stages + control
    return Resources(lut=lut, ff=ff, lutram=0, bram=0, dsp=0)
