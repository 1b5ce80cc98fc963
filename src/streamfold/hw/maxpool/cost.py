"""Cycle model of sf_maxpool.v (measured by tests/hw/test_maxpool.py).

The block is an sf_swg followed by a max over each window, which takes one window word per
cycle; so a frame takes the SWG's cycles, ``max(input words, window words)``. Non-overlapping
windows (kernel == stride, dimensions divisible) read every input word once and run at the
input rate; overlapping ones (kernel > stride) are bound by their window words.
"""

from __future__ import annotations

from streamfold.hw.block import NodeFolding
from streamfold.hw.maxpool.params import MaxPoolParams
from streamfold.hw.swg import cost as swg_cost

# From sf_maxpool.v: the SWG offers a window word WRITE_VISIBLE + READ_REGISTER + FIFO cycles
# after the input word it needs (hw.swg.cost); the last window word of an output word is
# maxed and written to the output FIFO on its handshake and offered the cycle after.
SWG_CYCLES = swg_cost.WRITE_VISIBLE_CYCLES + swg_cost.READ_REGISTER_CYCLES + swg_cost.FIFO_CYCLES
FIFO_CYCLES = 1


def words_in(params: MaxPoolParams, folding: NodeFolding) -> int:
    return params.in_vector // folding.simd


def words_out(params: MaxPoolParams, folding: NodeFolding) -> int:
    return params.out_vector // folding.simd


def cycles(params: MaxPoolParams, folding: NodeFolding) -> int:
    """Initiation interval: the SWG's, one window word per cycle."""
    return swg_cost.cycles(params.swg, folding)


def latency(params: MaxPoolParams, folding: NodeFolding) -> int:
    """First input handshake to first output handshake (no stalls).

    The first output word is complete with the first window's last kernel position of channel
    fold 0: input word ((K_h - 1) * W + K_w - 1) * C / SIMD; when that is the SWG's only or last
    word of the frame (one output pixel, C = SIMD), the SWG waits for the whole input frame."""
    (_, w), (kh, kw) = params.swg.in_hw, params.swg.kernel_hw
    cf = params.channels // folding.simd
    last_position = (params.window - 1) * cf  # window word that completes output word 0
    needed = ((kh - 1) * w + kw - 1) * cf
    if swg_cost.words_out(params.swg, folding) == last_position + 1:
        needed = words_in(params, folding) - 1
    return needed + SWG_CYCLES + FIFO_CYCLES


def buffer_words(params: MaxPoolParams, folding: NodeFolding) -> int:
    """Window buffer depth: the SWG's."""
    return swg_cost.buffer_words(params.swg, folding)
