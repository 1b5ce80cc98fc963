"""Cycle model and buffer size of sf_swg.v (cycles measured by tests/hw/test_swg.py).

The writer takes one input word per cycle and the reader issues one output word per cycle, each
limited only by the other through the buffer; with the buffer ``buffer_words`` chooses, the
busier side never waits in steady state, so a frame takes ``max(input words, output words)``
cycles; the startup before the first output word is ``latency``. Measured: exact on every
curated case and sweep configuration of tests/hw/test_swg.py, and on CNV-sized layers (conv0
3 x 32 x 32, conv1 64 x 30 x 30 at SIMD 32) and 1-D signals of 515 and 1024 samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from streamfold.cost.devices import Family
from streamfold.cost.resources import MemKind, Memory, combine
from streamfold.hw.block import MemStyle, NodeFolding, bits_for
from streamfold.hw.swg import line, window
from streamfold.hw.swg.params import SwgParams
from streamfold.synth.resources import Resources

# From sf_swg.v: a read issued at cycle t is registered in the buffer's read register (1), with
# block RAM registered again (ORG: 1), and written to the output FIFO (1), so its word is
# offered at t + 2 (+ 1). A read issues the cycle after the write of the last word it needs
# (the write is seen through the `ahead` register: 1).
READ_REGISTER_CYCLES = 1
FIFO_CYCLES = 1
WRITE_VISIBLE_CYCLES = 1


def words_in(params: SwgParams, folding: NodeFolding) -> int:
    """Input words per frame: pixels * C / SIMD."""
    return params.in_vector // folding.simd


def words_out(params: SwgParams, folding: NodeFolding) -> int:
    """Output words per frame: out_pixels / mmv * K_h * K_w * C / SIMD."""
    return params.out_vector // (folding.simd * params.mmv)


def cycles(params: SwgParams, folding: NodeFolding) -> int:
    """Initiation interval: the busier side moves one word per cycle (whole windows at
    mmv > 1: ``window.cycles``)."""
    if params.padding:
        return line.cycles(params, folding)
    if folding.mmv > 1:
        return window.cycles(params, folding)
    return max(words_in(params, folding), words_out(params, folding))


def latency(params: SwgParams, folding: NodeFolding) -> int:
    """First input handshake to first output handshake (no stalls): the first output word
    needs input word (mmv - 1) * S_w * C / SIMD (the group's last pixel), written one per
    cycle from the first, then the write, read and FIFO registers. A frame's last output word
    waits for its whole input frame: with one output word per frame, that is the first
    (whole windows at mmv > 1: ``window.latency``)."""
    if params.padding:
        return line.latency(params, folding)
    if folding.mmv > 1:
        return window.latency(params, folding)
    if words_out(params, folding) == 1:
        first_needed = words_in(params, folding) - 1
    else:
        first_needed = (params.mmv - 1) * params.stride_hw[1] * (params.channels // folding.simd)
    return first_needed + read_cycles(folding) + FIFO_CYCLES


def output_registers(folding: NodeFolding) -> int:
    """ORG + ARG in sf_swg.v: the read's stages past the read register. 1 with a block-RAM
    buffer (its read registered again before the output FIFO) or a LUT-RAM one (its address
    registered before the read), else 0."""
    return 1 if folding.mem_style in (MemStyle.BLOCK, MemStyle.DISTRIBUTED) else 0


def read_cycles(folding: NodeFolding) -> int:
    """From the write of the last word a read needs to that read's word leaving the read
    registers (sf_swg.v; sf_maxpool's window too)."""
    return WRITE_VISIBLE_CYCLES + READ_REGISTER_CYCLES + output_registers(folding)


def window_span_pixels(params: SwgParams) -> int:
    """Input pixels from the first to the last of one group's windows: the buffer must hold
    at least these (times C / SIMD words) for the reader to make progress."""
    (_, w), (kh, kw), (_, sw) = params.in_hw, params.kernel_hw, params.stride_hw
    return (kh - 1) * w + (params.mmv - 1) * sw + kw


def lookahead_pixels(params: SwgParams) -> int:
    """Pixels from the window group the reader is on to the end of the next group it needs,
    at the worst place: a row change or a frame change (the next frame's first group), plus
    one group's advance so the writer is there before the reader arrives.

    Row change (last group of output row oy -> first of oy + 1):
        (S_h + K_h - 2) * W + 2 * K_w + trail_w + 2 * (mmv - 1) * S_w
    Frame change: (2 * K_h - 2 + trail_h) * W + 2 * K_w + trail_w + 2 * (mmv - 1) * S_w,
    where trail_w = (W - K_w) mod S_w and trail_h = (H - K_h) mod S_h are the input columns and
    rows no window reads.
    """
    (h, w), (kh, kw), (sh, sw) = params.in_hw, params.kernel_hw, params.stride_hw
    trail_w, trail_h = (w - kw) % sw, (h - kh) % sh
    group = 2 * kw + trail_w + 2 * (params.mmv - 1) * sw
    row = (sh + kh - 2) * w + group if params.out_hw[0] > 1 else 0
    frame = (2 * kh - 2 + trail_h) * w + group
    return max(row, frame) + params.mmv * sw


def buffer_words(params: SwgParams, folding: NodeFolding) -> int:
    """Buffer depth (DEPTH of sf_swg.v): the lookahead in words, rounded up to a power of
    two (addresses wrap by truncation), at least 2."""
    words = max(lookahead_pixels(params), window_span_pixels(params))
    words *= params.channels // folding.simd
    return max(2, 1 << (words - 1).bit_length())


# ------------------------------------------------------------------------------- resources
# sf_swg.v's output FIFO: FD = 4 words of MMV * XW bits (LUT RAM by ram_style), its
# pointers fw / fr (2 bits each), count (3), rvalid (1), the reader's pending credits (3), and
# the writer's registered ready, room (1).
SWG_FIFO_DEPTH = 4
SWG_COUNTERS = 5  # cf, kx, ky, og, oy: each with a register flag "at its last value"
SWG_FIFO_CONTROL_BITS = 2 + 2 + 3 + 1 + 3 + 1
# LUT RAM words per bank whose read ports synthesis muxes together on ECP5 (TRELLIS_DPR16X4,
# 16 x 4, cost.memlib); Xilinx: see lutram_bank_words.
ECP5_LUTRAM_BANK_WORDS = 16
RAM64M_WORDS = 64  # RAM64M: 64 x 3 in 4 LUTs (cost.memlib)


def lutram_bank_words(depth: int, width: int) -> int:
    """Words per LUT-RAM bank of a ``depth`` x ``width`` buffer on Xilinx. Deeper than 64,
    Yosys takes the cheaper of RAM64M banks (4 LUTs per 64 x 3) and RAM128X1D (4 LUTs per
    128 x 1, the geometry resources.lutram_luts assumes): observed in the calibration runs,
    256 x 16 became 24 RAM64M, not 32 RAM128X1D."""
    if depth <= RAM64M_WORDS:
        return depth
    ram64m = math.ceil(depth / RAM64M_WORDS) * math.ceil(width / 3)
    ram128 = math.ceil(depth / 128) * width
    return RAM64M_WORDS if ram64m < ram128 else depth


@dataclass(frozen=True)
class SwgShape:
    """The widths sf_swg.v derives from its parameters."""

    depth: int  # DEPTH: buffer words
    word_bits: int  # XW = SIMD * ELEM_BITS: one buffer word, one replica
    replicas: int  # MMV: buffer copies, each read at its own address
    address_bits: int  # AB = clog2(DEPTH)
    position_bits: int  # CB = clog2(IN_WORDS + DEPTH + 1): ahead, low, off, row_low
    counter_bits: int  # cf, kx, ky, og, oy (bits_for each)
    mem_style: MemStyle

    @property
    def out_bits(self) -> int:
        return self.replicas * self.word_bits


def shape(params: SwgParams, folding: NodeFolding) -> SwgShape:
    (h, w), (kh, kw) = params.in_hw, params.kernel_hw
    (oh, ow), cf = params.out_hw, params.channels // folding.simd
    depth = buffer_words(params, folding)
    in_words = h * w * cf
    return SwgShape(
        depth=depth,
        word_bits=folding.simd * params.dtype.bits,
        replicas=params.mmv,
        address_bits=(depth - 1).bit_length(),
        position_bits=(in_words + depth).bit_length(),
        counter_bits=sum(bits_for(n) for n in (cf, kw, kh, ow // params.mmv, oh)),
        mem_style=folding.mem_style,
    )


def buffer_memories(s: SwgShape) -> tuple[Memory, ...]:
    """One replica of the window buffer: DEPTH x XW with ram_style from the folding; in LUT
    RAM, as the banks Yosys builds it from (lutram_bank_words)."""
    if s.mem_style is MemStyle.BLOCK:
        return (Memory(s.depth, s.word_bits, MemKind.BLOCK),)
    if s.mem_style is MemStyle.REGISTERS:
        return (Memory(s.depth, s.word_bits, MemKind.FLIPFLOPS),)
    bank = lutram_bank_words(s.depth, s.word_bits)
    return (Memory(bank, s.word_bits, MemKind.LUTRAM),) * (s.depth // bank)


def fifo_memory(s: SwgShape) -> Memory:
    """The 4-word output FIFO: LUT RAM (ram_style "distributed", so that a register in the
    next block that Yosys moves into its read port does not change the choice), read at a
    registered address that must see a write of the same cycle."""
    return Memory(SWG_FIFO_DEPTH, s.out_bits, MemKind.LUTRAM, transparent=True)


def lutram_mux_bits(s: SwgShape, family: Family) -> int:
    """Read-mux inputs beyond the first, per bit, of one LUT-RAM buffer replica deeper than a
    bank."""
    if s.mem_style is not MemStyle.DISTRIBUTED:
        return 0
    if family is Family.ECP5:
        banks = math.ceil(s.depth / ECP5_LUTRAM_BANK_WORDS)
    else:
        banks = s.depth // lutram_bank_words(s.depth, s.word_bits)
        if banks == 1 and s.depth > 128:  # RAM128X1D
            banks = s.depth // 128
    return (banks - 1) * s.word_bits


def shape_lut_features(s: SwgShape, family: Family) -> dict[str, float]:
    """The LUT features of an sf_swg of shape ``s`` (also used by sf_maxpool)."""
    register_buffer = s.depth * s.out_bits if s.mem_style is MemStyle.REGISTERS else 0
    return {
        "const": 1.0,
        # ahead's three next values, pos / limit / limit_m1 / row_low updates, four compares
        "position_bits": s.position_bits,
        # raddr = base + pos, and one more adder per further replica
        "address_bits": s.address_bits * s.replicas,
        "counter_bits": s.counter_bits,
        # the read mux of a flip-flop buffer (DEPTH inputs per bit)
        "register_buffer_bits": register_buffer,
        # the bank mux of a deep LUT-RAM buffer
        "mux_bits": s.replicas * lutram_mux_bits(s, family),
        # the read path of a block-RAM buffer outside the RAM (ECP5: see shape_ff_features)
        "block_read_bits": s.out_bits if s.mem_style is MemStyle.BLOCK else 0,
    }


def shape_ff_features(s: SwgShape, family: Family) -> dict[str, float]:
    """The register bits of an sf_swg of shape ``s`` (also used by sf_maxpool)."""
    data = 0
    if s.mem_style is not MemStyle.BLOCK:  # block RAM absorbs the read register
        data += s.out_bits
    if s.mem_style is MemStyle.REGISTERS:
        data += s.depth * s.out_bits
    # ahead, limit, limit_m1, pos, row_low; wptr, base; the counters and their at-last flags
    control = (
        5 * s.position_bits + 2 * s.address_bits + s.counter_bits + SWG_COUNTERS
        + SWG_FIFO_CONTROL_BITS
    )  # fmt: skip
    if s.mem_style is MemStyle.DISTRIBUTED:  # ARG: each replica's read address, issue_q
        control += s.replicas * s.address_bits + 1
    return {
        "const": 1.0,
        "control_bits": control,
        "data_bits": data,
        # A block-RAM buffer: Yosys puts the read register into RAMB18 on Xilinx; on ECP5 the
        # DP16KD read stays beside the RAM in flip-flops, about two per bit (calibration runs:
        # 64 x 8 x 16 lanes, 334 TRELLIS_FF against 68 FDRE).
        "block_read_bits": s.out_bits if s.mem_style is MemStyle.BLOCK else 0,
    }


def shape_memories(s: SwgShape) -> tuple[Memory, ...]:
    """The buffer (per replica) unless in flip-flops, and the output FIFO unless tiny."""
    out: list[Memory] = []
    if s.mem_style is not MemStyle.REGISTERS:
        out += buffer_memories(s) * s.replicas
    return (*out, fifo_memory(s))


def lut_features(params: SwgParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """Position arithmetic and comparisons, buffer addresses, window counters, and muxes."""
    return shape_lut_features(shape(params, folding), family)


def ff_features(params: SwgParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """Control registers (positions, pointers, counters, FIFO state) and data registers."""
    return shape_ff_features(shape(params, folding), family)


def memories(params: SwgParams, folding: NodeFolding) -> tuple[Memory, ...]:
    return shape_memories(shape(params, folding))


def resources(params: SwgParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF/LUTRAM/BRAM/DSP of sf_swg for ``family`` (calibrated; see cost.resources);
    sf_swg_win's at mmv > 1 (``window.resources``, uncalibrated)."""
    if params.padding:
        return line.resources(params, folding, family)
    if folding.mmv > 1:
        return window.resources(params, folding, family)
    return combine(
        "swg",
        family,
        lut_features(params, folding, family),
        ff_features(params, folding, family),
        memories(params, folding),
    )
