"""Cycle and resource model of sf_upsample.v (cycles measured by tests/hw/test_upsample.py).

The reader issues one output word per cycle and the writer fills each row slot the cycle after
its last read, so with at least two words per row the output never waits in steady state: a
frame takes its output words (never fewer than its input words). With one word per row
(W = 1, C = SIMD) the slot is written the cycle after its last read and read the cycle after
that, one idle cycle per input row.
"""

from __future__ import annotations

import math

from streamfold.cost.devices import Family
from streamfold.cost.resources import MemKind, Memory, auto_memory, combine
from streamfold.hw.block import MemStyle, NodeFolding, bits_for
from streamfold.hw.upsample.params import UpsampleParams
from streamfold.synth.resources import Resources

# From sf_upsample.v (as sf_swg.v): a read issues the cycle after the write of its slot (the
# writer's count is a register: 1), is registered in the buffer's read register (1) and written
# to the output FIFO (1), so the first output word leaves 3 cycles after the first input word.
WRITE_VISIBLE_CYCLES = 1
READ_REGISTER_CYCLES = 1
FIFO_CYCLES = 1
LATENCY = WRITE_VISIBLE_CYCLES + READ_REGISTER_CYCLES + FIFO_CYCLES


def words_in(params: UpsampleParams, folding: NodeFolding) -> int:
    return params.in_vector // folding.simd


def words_out(params: UpsampleParams, folding: NodeFolding) -> int:
    return params.out_vector // folding.simd


def row_words(params: UpsampleParams, folding: NodeFolding) -> int:
    """D: words of one input row, the buffer's depth."""
    return params.in_hw[1] * params.channels // folding.simd


def cycles(params: UpsampleParams, folding: NodeFolding) -> int:
    """Initiation interval: the output words, plus one cycle per row when a row is one word."""
    idle = params.in_hw[0] if row_words(params, folding) == 1 else 0
    return words_out(params, folding) + idle


def latency(params: UpsampleParams, folding: NodeFolding) -> int:
    """First input handshake to first output handshake (no stalls): the first output word is
    the first input word."""
    return LATENCY


# ------------------------------------------------------------------------------- resources
# The 4-word output FIFO (no ram_style) and its pointers fwp / frp (2 bits each), count (3),
# rvalid (1) and the reader's pending credits (3), as in sf_swg.v.
FIFO_DEPTH = 4
FIFO_CONTROL_BITS = 2 + 2 + 3 + 1 + 3
RAM64M_WORDS = 64  # RAM64M: 64 x 3 in 4 LUTs (cost.memlib)
RAM32M_WORDS = 32  # RAM32M: 32 x 6 in 4 LUTs


def buffer_memories(depth: int, width: int, style: MemStyle) -> tuple[Memory, ...]:
    """A ``depth`` x ``width`` buffer with ram_style ``style`` (registered read). In LUT RAM
    deeper than 64 words, Yosys takes the cheapest of RAM64M banks (64 x 3 in 4 LUTs), RAM32M
    banks (32 x 6) and RAM128X1D (128 x 1): observed in the calibration runs, 96 x 32 became
    3 x 6 RAM32M, not 2 x 11 RAM64M (see also hw.swg.cost.lutram_bank_words)."""
    if style is MemStyle.BLOCK:
        return (Memory(depth, width, MemKind.BLOCK),)
    if style is MemStyle.REGISTERS:
        return (Memory(depth, width, MemKind.FLIPFLOPS),)
    if depth <= RAM64M_WORDS:
        return (Memory(depth, width, MemKind.LUTRAM),)
    options = [  # (LUTs, words per bank); on a tie the first
        (math.ceil(depth / RAM64M_WORDS) * math.ceil(width / 3), RAM64M_WORDS),
        (math.ceil(depth / 128) * width, depth),
        (math.ceil(depth / RAM32M_WORDS) * math.ceil(width / 6), RAM32M_WORDS),
    ]
    bank = min(options, key=lambda o: o[0])[1]
    return (Memory(bank, width, MemKind.LUTRAM),) * math.ceil(depth / bank)


def buffer_lut_features(
    depth: int, width: int, style: MemStyle, family: Family
) -> dict[str, float]:
    """The read path of a buffer and the 4-word output FIFO (sf_upsample, sf_depthtospace)."""
    mems = buffer_memories(depth, width, style)
    fifo = auto_memory(FIFO_DEPTH, width, transparent=True)
    banks = len(mems) if mems[0].kind is MemKind.LUTRAM else 1
    if family is Family.ECP5 and style is MemStyle.DISTRIBUTED:
        banks = math.ceil(depth / 16)  # TRELLIS_DPR16X4 banks of 16 words (cost.memlib)
    return {
        "register_buffer_bits": depth * width if style is MemStyle.REGISTERS else 0,
        "mux_bits": (banks - 1) * width
        + (width * (FIFO_DEPTH - 1) if fifo.kind is MemKind.FLIPFLOPS else 0),
        "block_read_bits": width if style is MemStyle.BLOCK else 0,
    }


def buffer_ff_features(depth: int, width: int, style: MemStyle) -> dict[str, float]:
    """Data registers of a buffer's read path and the output FIFO; the FIFO's control."""
    data = 0 if style is MemStyle.BLOCK else width  # block RAM absorbs the read register
    if style is MemStyle.REGISTERS:
        data += depth * width
    if auto_memory(FIFO_DEPTH, width, transparent=True).kind is MemKind.FLIPFLOPS:
        data += FIFO_DEPTH * width
    return {"data_bits": data, "block_read_bits": width if style is MemStyle.BLOCK else 0}


def buffer_own_memories(depth: int, width: int, style: MemStyle) -> tuple[Memory, ...]:
    """The buffer unless in flip-flops, and the output FIFO unless tiny."""
    out = [m for m in buffer_memories(depth, width, style) if m.kind is not MemKind.FLIPFLOPS]
    return (*out, auto_memory(FIFO_DEPTH, width, transparent=True))


def _shape(params: UpsampleParams, folding: NodeFolding) -> tuple[int, int, int, int]:
    """(buffer depth, word bits, slot bits, counter bits) of sf_upsample.v."""
    (_, w), (fh, fw) = params.in_hw, params.scale_hw
    depth = row_words(params, folding)
    counters = sum(bits_for(n) for n in (params.channels // folding.simd, fw, w, fh))
    return depth, folding.simd * params.dtype.bits, bits_for(depth), counters


def lut_features(params: UpsampleParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """Slot arithmetic (rslot, base, wcnt and the two comparisons), counters, read path."""
    depth, width, slot, counters = _shape(params, folding)
    out: dict[str, float] = {"const": 1.0, "slot_bits": slot, "counter_bits": counters}
    return out | buffer_lut_features(depth, width, folding.mem_style, family)


def ff_features(params: UpsampleParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """Control registers (slots, counters, ahead, FIFO state) and data registers."""
    depth, width, slot, counters = _shape(params, folding)
    control = 3 * slot + counters + 1 + FIFO_CONTROL_BITS
    out: dict[str, float] = {"const": 1.0, "control_bits": control}
    return out | buffer_ff_features(depth, width, folding.mem_style)


def memories(params: UpsampleParams, folding: NodeFolding) -> tuple[Memory, ...]:
    depth, width, _, _ = _shape(params, folding)
    return buffer_own_memories(depth, width, folding.mem_style)


def resources(params: UpsampleParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF/LUTRAM/BRAM/DSP of sf_upsample for ``family`` (calibrated; see cost.resources)."""
    return combine(
        "upsample",
        family,
        lut_features(params, folding, family),
        ff_features(params, folding, family),
        memories(params, folding),
    )
