"""Cycle model of sf_globalpool.v (measured by tests/hw/test_globalpool.py).

The accumulator takes one input word per cycle; the C / SIMD output words are written during the
frame's last pixel, one per input word, so a frame takes its input words.
"""

from __future__ import annotations

from streamfold.cost.devices import Family
from streamfold.cost.resources import MemKind, Memory, auto_memory, combine
from streamfold.hw.block import NodeFolding, bits_for
from streamfold.hw.globalpool.params import GlobalPoolParams
from streamfold.synth.resources import Resources

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


# ------------------------------------------------------------------------------- resources
# sf_globalpool.v's output is a 2-word sf_fifo: one buffer word (LUT RAM, one address), the
# output register, tvalid and a one-bit count (its one-word pointers are constant).
FIFO_CONTROL_BITS = 2


def _acc(params: GlobalPoolParams, folding: NodeFolding) -> Memory:
    """``acc[0:CF-1]`` of SIMD sums (no ram_style; read and written at ``cf``,
    but through separate ports, so not one shared address): flip-flops when
    one word or tiny, else LUT RAM."""
    folds = params.channels // folding.simd
    width = folding.simd * params.out_dtype.bits
    if folds == 1:
        return Memory(1, width, MemKind.FLIPFLOPS)
    return auto_memory(folds, width, transparent=True)  # acc[cf]: cf is a register


def lut_features(
    params: GlobalPoolParams, folding: NodeFolding, family: Family
) -> dict[str, float]:
    """The SIMD adders (ACC_BITS each) with, per bit, the FIFO's data path; the adder bits
    whose second operand varies: the low ELEM_BITS, and above them the sign extension of a
    signed element (a zero-extended one only carries there) or the +-1 of a bipolar one (its
    bits are all the element's); the frame counters."""
    folds = params.channels // folding.simd
    x, acc_bits = params.dtype, params.out_dtype.bits
    acc = _acc(params, folding)
    return {
        "const": 1.0,
        "counter_bits": bits_for(folds) + bits_for(params.pixels),
        "sum_bits": folding.simd * acc_bits,
        "operand_bits": folding.simd * x.bits,
        "sign_extension_bits": folding.simd * (acc_bits - x.bits) if x.signed else 0,
        "bipolar_bits": folding.simd * acc_bits if x.bipolar else 0,
        # sums in flip-flops (one channel fold): their enable and clear logic is LUTs on ECP5
        "register_sum_bits": folding.simd * acc_bits if acc.kind is MemKind.FLIPFLOPS else 0,
    }


def ff_features(params: GlobalPoolParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """Counters and FIFO control; the FIFO's output register and flip-flop accumulators."""
    folds = params.channels // folding.simd
    acc = _acc(params, folding)
    data = folding.simd * params.out_dtype.bits
    if acc.kind is MemKind.FLIPFLOPS:
        data += acc.depth_words * acc.width_bits
    control = bits_for(folds) + bits_for(params.pixels) + FIFO_CONTROL_BITS
    return {"const": 1.0, "control_bits": control, "data_bits": data}


def memories(params: GlobalPoolParams, folding: NodeFolding) -> tuple[Memory, ...]:
    """The accumulators when in LUT RAM, and the output FIFO's one buffer word."""
    acc = _acc(params, folding)
    fifo = Memory(1, folding.simd * params.out_dtype.bits, MemKind.LUTRAM, shared_address=True)
    return (acc, fifo) if acc.kind is not MemKind.FLIPFLOPS else (fifo,)


def resources(params: GlobalPoolParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF/LUTRAM/BRAM/DSP of sf_globalpool for ``family`` (calibrated; see
    cost.resources)."""
    return combine(
        "globalpool",
        family,
        lut_features(params, folding, family),
        ff_features(params, folding, family),
        memories(params, folding),
    )
