"""Cycle model of sf_pad.v (measured by tests/hw/test_pad.py).

The block emits one output word per cycle, a border word from nothing and an inside word from
its input word, so a frame takes its output words; the input waits during the border.
"""

from __future__ import annotations

from streamfold.hw.block import NodeFolding
from streamfold.hw.pad.params import PadParams

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
