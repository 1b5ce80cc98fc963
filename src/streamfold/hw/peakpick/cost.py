"""Cycle and resource models of sf_peakpick.v (cycles measured by tests/hw/test_peakpick.py).

A frame takes its L / P input words and E = ceil(min_distance / P) flush steps, one per
cycle; the output register is written the cycle after the last step.
"""

from __future__ import annotations

from streamfold.cost.devices import Family
from streamfold.hw.block import NodeFolding
from streamfold.hw.peakpick.params import FIELDS, PeakPickParams
from streamfold.synth.resources import Resources


def context_words(params: PeakPickParams, folding: NodeFolding) -> int:
    """E: words of context on either side of the decided word."""
    return -(-params.min_distance // folding.simd)


def cycles(params: PeakPickParams, folding: NodeFolding) -> int:
    """Initiation interval: the input words and E flush steps."""
    return params.length // folding.simd + context_words(params, folding)


def latency(params: PeakPickParams, folding: NodeFolding) -> int:
    """First input handshake to the frame's output handshake (no stalls): the frame's
    steps, the last decision, the output register."""
    return cycles(params, folding) + 1


def needed(params: PeakPickParams, folding: NodeFolding) -> int:
    """The record list needs the whole frame."""
    return params.length // folding.simd


# ------------------------------------------------------------------------------- resources
# Analytic counts of sf_peakpick.v's logic, one LUT per comparator or adder bit (a 6-input
# LUT compares two bits with carry logic in the CARRY4 chain on 7-series), one per
# multiplexed record bit per lane of the append network; not yet calibrated against Yosys
# (bench/peaks.py prints the synthesised counts next to these).


def _bits(params: PeakPickParams) -> tuple[int, int, int]:
    """(XB: a signed score, OB: a record element, RB: a record)."""
    ob = params.out_dtype.bits
    return params.dtype.bits + 2, ob, FIELDS * ob


def resources(params: PeakPickParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF of sf_peakpick for ``family`` (analytic, see above)."""
    p, e = folding.simd, context_words(params, folding)
    window = (2 * e + 1) * p
    xb, ob, rb = _bits(params)
    candidates = (window - 2) * (3 * xb + 2 * len(bin(params.length)))  # 3 compares, 2 bounds
    suppress = p * 2 * (params.min_distance - 1) * xb
    arithmetic = p * (3 * ob)  # num, den, position
    append = params.max_peaks * rb * p
    lut = candidates + suppress + arithmetic + append
    ff = window * params.dtype.bits + 2 * params.max_peaks * rb + 3 * len(bin(params.length))
    return Resources(lut=lut, ff=ff, lutram=0, bram=0, dsp=0)
