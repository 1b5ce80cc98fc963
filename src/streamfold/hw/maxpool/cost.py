"""Cycle model of sf_maxpool.v (measured by tests/hw/test_maxpool.py).

The block is an sf_swg followed by a max over each window, which takes one window word per
cycle; so a frame takes the SWG's cycles, ``max(input words, window words)``. Non-overlapping
windows (kernel == stride, dimensions divisible) read every input word once and run at the
input rate; overlapping ones (kernel > stride) are bound by their window words.
"""

from __future__ import annotations

from streamfold.cost.devices import Family
from streamfold.cost.resources import MemKind, Memory, auto_memory, combine
from streamfold.hw.block import NodeFolding, bits_for
from streamfold.hw.maxpool.params import MaxPoolParams
from streamfold.hw.swg import cost as swg_cost
from streamfold.hw.swg.params import SwgParams
from streamfold.synth.resources import Resources

# From sf_maxpool.v: the SWG offers a window word swg_cost.read_cycles + FIFO cycles after the
# input word it needs (hw.swg.cost); the last window word of an output word is maxed and
# written to the output FIFO on its handshake and offered the cycle after.
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
    return needed + swg_cost.read_cycles(folding) + swg_cost.FIFO_CYCLES + FIFO_CYCLES


def buffer_words(params: MaxPoolParams, folding: NodeFolding) -> int:
    """Window buffer depth: the SWG's."""
    return swg_cost.buffer_words(params.swg, folding)


def window_buffer_words(params: SwgParams | MaxPoolParams, folding: NodeFolding) -> int:
    """The window buffer's depth of a sliding window, or of the one inside a max pool."""
    swg = params.swg if isinstance(params, MaxPoolParams) else params
    return swg_cost.buffer_words(swg, folding)


# ------------------------------------------------------------------------------- resources
# sf_maxpool.v's output is a 2-word sf_fifo: one buffer word (LUT RAM, one address), the output
# register, tvalid and a one-bit count (its one-word pointers are constant).
FIFO_CONTROL_BITS = 2


def _acc(params: MaxPoolParams, folding: NodeFolding) -> Memory:
    """``acc[0:CF-1]`` of SIMD running maxima (no ram_style; read and written at ``cf``,
    but through separate ports, so not one shared address):
    flip-flops when one word or tiny, else what cost.memlib finds (LUT RAM; large: block RAM)."""
    folds = params.channels // folding.simd
    width = folding.simd * params.dtype.bits
    if folds == 1:
        return Memory(1, width, MemKind.FLIPFLOPS)
    return auto_memory(folds, width, transparent=True)  # acc[cf]: cf is a register


def _counter_bits(params: MaxPoolParams, folding: NodeFolding) -> int:
    """cf and kpos of the running maxima."""
    return bits_for(params.channels // folding.simd) + bits_for(params.window)


def lut_features(params: MaxPoolParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """The inner sf_swg's features (hw.swg.cost, MMV = 1), plus the SIMD comparators and
    max muxes (per element bit) and the running-maxima counters."""
    out = swg_cost.shape_lut_features(swg_cost.shape(params.swg, folding), family)
    out["counter_bits"] += _counter_bits(params, folding)
    out["compare_bits"] = folding.simd * params.dtype.bits
    return out


def ff_features(params: MaxPoolParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """The inner sf_swg's registers, the counters, the FIFO's, and flip-flop maxima."""
    out = swg_cost.shape_ff_features(swg_cost.shape(params.swg, folding), family)
    acc = _acc(params, folding)
    out["control_bits"] += _counter_bits(params, folding) + FIFO_CONTROL_BITS
    out["data_bits"] += folding.simd * params.dtype.bits  # the FIFO's output register
    if acc.kind is MemKind.FLIPFLOPS:
        out["data_bits"] += acc.depth_words * acc.width_bits
    return out


def memories(params: MaxPoolParams, folding: NodeFolding) -> tuple[Memory, ...]:
    """The inner sf_swg's memories, the maxima when in LUT RAM, the FIFO's buffer word."""
    acc = _acc(params, folding)
    fifo = Memory(1, folding.simd * params.dtype.bits, MemKind.LUTRAM, shared_address=True)
    own = (acc, fifo) if acc.kind is not MemKind.FLIPFLOPS else (fifo,)
    return swg_cost.memories(params.swg, folding) + own


def resources(params: MaxPoolParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF/LUTRAM/BRAM/DSP of sf_maxpool for ``family`` (calibrated; see cost.resources)."""
    return combine(
        "maxpool",
        family,
        lut_features(params, folding, family),
        ff_features(params, folding, family),
        memories(params, folding),
    )
