"""Cycle and resource cost of sf_mulshift.v (resources: fitted constants in
streamfold/cost/calibration.json, from bench/calibrate.py against Yosys)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.cost.devices import Family
from streamfold.cost.resources import (
    MemKind,
    Memory,
    auto_memory,
    combine,
    rom_columns,
    rom_luts,
)
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.mulshift.params import MulShiftParams, hw_constants, widened
from streamfold.hw.mulshift.rtl import constant_words
from streamfold.synth.resources import Resources

# sf_mulshift.v: input and constant registers (1), product (2), sum (3), round and clamp into
# the output register (4), written into the output FIFO whose head is offered the next cycle:
# the first output handshake comes 5 cycles after the first input one.
PIPELINE_CYCLES = 5


def cycles(params: MulShiftParams, folding: NodeFolding) -> int:
    """Initiation interval: one input word per cycle, pixels * channels / PE words per frame."""
    params, folding = widened(params, folding)
    return params.pixels * (params.channels // folding.pe)


def latency(params: MulShiftParams, folding: NodeFolding) -> int:
    """Cycles from the first input handshake to the first output handshake (no stalls)."""
    params, folding = widened(params, folding)
    return PIPELINE_CYCLES


# ------------------------------------------------------------------------------- resources
# sf_mulshift.v's output FIFO depth and its pending/count and pointer widths.
FIFO_DEPTH = 6
FIFO_COUNT_BITS = 3
FIFO_POINTER_BITS = 3
CONTROL_REGS = 3 + 1  # valid_p, out_valid


@dataclass(frozen=True)
class _Shape:
    """The widths sf_mulshift.v derives from its parameters."""

    folds: int  # CF
    fold_bits: int  # CFB; the fold counter is constant 0 (removed) when CF == 1
    in_bits: int  # IN_BITS
    x_bits: int  # XB
    m_bits: int
    b_bits: int
    product_bits: int  # PW
    sum_bits: int  # EW
    clamp_bits: int  # CW
    out_bits: int  # OW = PE * OUT_BITS
    words: npt.NDArray[Any]  # the constant image, [CF, PE], Python ints (may pass 64 bits)


def _shape(params: MulShiftParams, folding: NodeFolding) -> _Shape:
    k = hw_constants(params)
    folds = params.channels // folding.pe
    xb = params.in_dtype.bits + 1
    pw = xb + k.m_dtype.bits
    ew = max(max(pw, k.b_dtype.bits) + 1, k.shift + 2)
    cw = max(ew - k.shift, params.out_dtype.bits) + 2
    return _Shape(
        folds=folds,
        fold_bits=(folds - 1).bit_length() if folds > 1 else 0,
        in_bits=params.in_dtype.bits,
        x_bits=xb,
        m_bits=k.m_dtype.bits,
        b_bits=k.b_dtype.bits,
        product_bits=pw,
        sum_bits=ew,
        clamp_bits=cw,
        out_bits=folding.pe * params.out_dtype.bits,
        words=constant_words(k, folding.pe),
    )


def _columns(words: npt.NDArray[Any], bits: int, distinct: bool = True) -> int:
    """``rom_columns`` of an image whose elements may pass 64 bits: cut into 32-bit slices."""
    mask = (1 << 32) - 1
    slices = [(words >> (32 * i)) & mask for i in range((bits + 31) // 32)]
    return rom_columns(np.concatenate(slices, axis=1).astype(np.int64), 32, distinct)


def _const_columns(s: _Shape) -> int:
    return _columns(s.words, s.m_bits + s.b_bits)


def _multiplier_bits(s: _Shape, folding: NodeFolding) -> tuple[int, int]:
    """(varying, constant-one) multiplier bits over the PE lanes. Out of LUTs or registers,
    Yosys folds the bit columns that never change into the multiplier: a constant 0 column
    costs nothing and a constant 1 column a shifted addend. Block RAM hides them, unless it
    holds one word: then every column is constant and Yosys keeps no memory (see memories)."""
    if folding.mem_style is MemStyle.BLOCK and s.folds > 1:
        return folding.pe * s.m_bits, 0
    m = s.words & ((1 << s.m_bits) - 1)
    varying = _columns(m, s.m_bits, distinct=False)  # 0 for one word: all constant
    ones = sum(bin(int(v)).count("1") for v in m[0]) if varying == 0 else 0
    return varying, ones


def lut_features(params: MulShiftParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """Multiplier partial-product bits (LUT logic with -nodsp), the sum, rounding and clamp,
    the constant ROM when built from logic, and control."""
    s = _shape(params, folding)
    rom = 0
    if folding.mem_style is not MemStyle.BLOCK:
        rom = _const_columns(s) * rom_luts(s.folds)
    varying, ones = _multiplier_bits(s, folding)
    return {
        "const": 1.0,
        "control_bits": s.fold_bits,
        "mult_bits": s.x_bits * varying,
        "const_mult_bits": s.x_bits * ones,
        "sum_bits": folding.pe * s.sum_bits,
        "clamp_bits": 0 if params.out_dtype.bipolar else folding.pe * s.clamp_bits,
        "rom_luts": rom,
        "out_bits": s.out_bits,
    }


def ff_features(params: MulShiftParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """Register bits of sf_mulshift.v; a ROM output register keeps only varying columns."""
    s = _shape(params, folding)
    sum_bits = 1 if params.out_dtype.bipolar else s.sum_bits  # a bipolar output keeps the sign
    regs = s.fold_bits + 2 * FIFO_COUNT_BITS + 2 * FIFO_POINTER_BITS + CONTROL_REGS
    regs += folding.pe * (s.in_bits + s.product_bits + s.b_bits + sum_bits) + s.out_bits
    fifo = _fifo(s)
    if fifo.kind is MemKind.FLIPFLOPS:
        regs += fifo.depth_words * fifo.width_bits
    constants = 0 if folding.mem_style is MemStyle.BLOCK else _const_columns(s)
    return {"const": 1.0, "register_bits": regs, "constant_bits": constants}


def _fifo(s: _Shape) -> Memory:
    # fifo[rptr]: 6 x 2 is LUT RAM, 6 x 1 flip-flops (cost.memlib, transparent)
    return auto_memory(FIFO_DEPTH, s.out_bits, transparent=True)


def memories(params: MulShiftParams, folding: NodeFolding) -> tuple[Memory, ...]:
    """The output FIFO (LUT RAM), and the constants in block RAM with ``MemStyle.BLOCK``."""
    s = _shape(params, folding)
    out = [_fifo(s)]
    if folding.mem_style is MemStyle.BLOCK:  # Yosys drops constant bit columns first
        width = _columns(s.words, s.m_bits + s.b_bits, distinct=False)
        out.append(Memory(s.folds, width, MemKind.BLOCK, rom=True))
    return tuple(out)


def resources(params: MulShiftParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF/LUTRAM/BRAM/DSP of sf_mulshift for ``family`` (calibrated; see cost.resources)."""
    params, folding = widened(params, folding)
    return combine(
        "mulshift",
        family,
        lut_features(params, folding, family),
        ff_features(params, folding, family),
        memories(params, folding),
    )


def fused_resources(params: MulShiftParams, folding: NodeFolding, family: Family) -> Resources:
    """The multiply-shift output stage inside sf_mvau (MS = 1), rows as channels: each PE's
    product, bias, sum, rounding and clamp and the constants' ROM, without what sf_mulshift has
    around them and sf_mvau has once already (the input register, the output register and
    FIFO, the fold counter and handshake control). The same fitted constants as the block."""
    s = _shape(params, folding)
    lut = {**lut_features(params, folding, family), "const": 0.0, "control_bits": 0, "out_bits": 0}
    sum_bits = 1 if params.out_dtype.bipolar else s.sum_bits
    ff = {
        "register_bits": folding.pe * (s.product_bits + s.b_bits + sum_bits),
        "constant_bits": ff_features(params, folding, family)["constant_bits"],
    }
    blocks = tuple(m for m in memories(params, folding) if m.kind is MemKind.BLOCK)
    return combine("mulshift", family, lut, ff, blocks)
