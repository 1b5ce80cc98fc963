"""Cycle model of sf_pad.v (measured by tests/hw/test_pad.py).

The block emits one output word per cycle, a border word from nothing and an inside word from
its input word, so a frame takes its output words; the input waits during the border.
"""

from __future__ import annotations

from streamfold.cost.devices import Family
from streamfold.cost.resources import MemKind, Memory, combine
from streamfold.hw.block import NodeFolding, bits_for
from streamfold.hw.pad.params import PadParams
from streamfold.synth.resources import Resources

# From sf_pad.v: a word is written to the 2-word output FIFO on its input handshake and offered
# the cycle after.
FIFO_CYCLES = 1


def words_in(params: PadParams, folding: NodeFolding) -> int:
    return params.in_vector // folding.simd


def words_out(params: PadParams, folding: NodeFolding) -> int:
    return params.out_vector // folding.simd


def cycles(params: PadParams, folding: NodeFolding) -> int:
    """Initiation interval: one output word per cycle."""
    return words_out(params, folding)


def border_words_before(params: PadParams, folding: NodeFolding) -> int:
    """Output words of a frame before its first inside word: top rows, then left pixels."""
    (_, ow), ((top, _), (left, _)) = params.out_hw, params.padding_hw
    return (top * ow + left) * (params.channels // folding.simd)


def latency(params: PadParams, folding: NodeFolding) -> int:
    """First input handshake to the output handshake of that word (no stalls).

    The border before it needs no input and streams out ahead of it, so the first *output* word
    may even precede the first input word; what the next block waits for is the data."""
    return FIFO_CYCLES


# ------------------------------------------------------------------------------- resources
# sf_pad.v's output is a 2-word sf_fifo: one buffer word (LUT RAM, read and write at address 0),
# the output register, tvalid and a one-bit count (its one-word pointers are constant).
FIFO_CONTROL_BITS = 2


def _widths(params: PadParams, folding: NodeFolding) -> tuple[int, int]:
    """(counter bits of cf, ox and oy; word bits XW)."""
    oh, ow = params.out_hw
    cf = params.channels // folding.simd
    counters = bits_for(cf) + bits_for(ow) + bits_for(oh)
    return counters, folding.simd * params.dtype.bits


def lut_features(params: PadParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """The output-frame counters with their wrap and border compares, and per data bit the
    border mux into the FIFO's bypass / buffer mux."""
    counters, word = _widths(params, folding)
    return {"const": 1.0, "counter_bits": counters, "data_bits": word}


def ff_features(params: PadParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """Counters, the two inside flags and the FIFO's control; the FIFO's output register."""
    counters, word = _widths(params, folding)
    return {"const": 1.0, "control_bits": counters + 2 + FIFO_CONTROL_BITS, "data_bits": word}


def memories(params: PadParams, folding: NodeFolding) -> tuple[Memory, ...]:
    """The output FIFO's one buffer word (LUT RAM with one address, as hw.fifo.cost says)."""
    _, word = _widths(params, folding)
    return (Memory(1, word, MemKind.LUTRAM, shared_address=True),)


def resources(params: PadParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF/LUTRAM/BRAM/DSP of sf_pad for ``family`` (calibrated; see cost.resources)."""
    return combine(
        "pad",
        family,
        lut_features(params, folding, family),
        ff_features(params, folding, family),
        memories(params, folding),
    )
