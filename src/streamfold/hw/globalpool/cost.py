"""Cycle model of sf_globalpool.v (measured by tests/hw/test_globalpool.py).

The accumulator takes one input word per cycle; the C / SIMD output words are written during the
frame's last pixel, one per input word, so a frame takes its input words.
"""

from __future__ import annotations

from streamfold.hw.block import NodeFolding
from streamfold.hw.globalpool.params import GlobalPoolParams

# From sf_globalpool.v: the last pixel's word is summed and written to the output FIFO on its
# input handshake and offered the cycle after.
FIFO_CYCLES = 1


def words_in(params: GlobalPoolParams, folding: NodeFolding) -> int:
    return params.in_vector // folding.simd


def words_out(params: GlobalPoolParams, folding: NodeFolding) -> int:
    return params.out_vector // folding.simd


def cycles(params: GlobalPoolParams, folding: NodeFolding) -> int:
    """Initiation interval: one input word per cycle."""
    return words_in(params, folding)


def latency(params: GlobalPoolParams, folding: NodeFolding) -> int:
    """First input handshake to first output handshake (no stalls): the first sum needs the
    first word of the last pixel, input word (pixels - 1) * C / SIMD, then the FIFO."""
    return (params.pixels - 1) * (params.channels // folding.simd) + FIFO_CYCLES
