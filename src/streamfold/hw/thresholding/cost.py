"""Cycle and resource cost of sf_thresholding.v (resources: fitted constants in
streamfold/cost/calibration.json, from bench/calibrate.py against Yosys)."""

from __future__ import annotations

from dataclasses import dataclass

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
from streamfold.hw.thresholding.image import clamp_thresholds, threshold_dtype
from streamfold.hw.thresholding.params import ThresholdingParams, widened
from streamfold.synth.resources import Resources

# sf_thresholding.v: the input word is registered with its threshold word (1 cycle), compared
# and counted into the output register (1), written into the output FIFO (1) whose head is
# offered the next cycle: the first output handshake comes 3 cycles after the first input one.
PIPELINE_CYCLES = 3


def cycles(params: ThresholdingParams, folding: NodeFolding) -> int:
    """Initiation interval: one input word per cycle, pixels * channels / PE words per frame."""
    params, folding = widened(params, folding)
    return params.pixels * (params.channels // folding.pe)


def latency(params: ThresholdingParams, folding: NodeFolding) -> int:
    """Cycles from the first input handshake to the first output handshake (no stalls)."""
    params, folding = widened(params, folding)
    return PIPELINE_CYCLES


# ------------------------------------------------------------------------------- resources
# sf_thresholding.v's output FIFO depth and its pending/count width (clog2(DEPTH + 1)).
FIFO_DEPTH = 4
FIFO_COUNT_BITS = 3
FIFO_POINTER_BITS = 2


@dataclass(frozen=True)
class _Shape:
    """The widths sf_thresholding.v derives from its parameters."""

    folds: int  # CF
    fold_bits: int  # CFB; the fold counter is constant 0 (removed) when CF == 1
    in_bits: int  # XW = PE * IN_BITS
    n: int  # N_THRESH
    compare_bits: int  # CB
    count_bits: int  # CNT_BITS
    out_bits: int  # OW = PE * OUT_BITS
    words: npt.NDArray[np.int64]  # the threshold image, [CF, PE * N]
    t_bits: int


def _shape(params: ThresholdingParams, folding: NodeFolding) -> _Shape:
    x, pe = params.in_dtype, folding.pe
    t_dtype = threshold_dtype(x.min, x.max)
    t = params.thresholds.array
    full = np.broadcast_to(clamp_thresholds(t, x.min, x.max), (params.channels, t.shape[1]))
    folds = params.channels // pe
    n = t.shape[1]
    return _Shape(
        folds=folds,
        fold_bits=(folds - 1).bit_length() if folds > 1 else 0,
        in_bits=pe * x.bits,
        n=n,
        compare_bits=max(x.bits + 1, t_dtype.bits),
        count_bits=n.bit_length(),
        out_bits=pe * params.out_dtype.bits,
        words=full.reshape(folds, pe * n),
        t_bits=t_dtype.bits,
    )


def lut_features(
    params: ThresholdingParams, folding: NodeFolding, family: Family
) -> dict[str, float]:
    """Comparators (per bit), the popcount of their results, the threshold ROM when built from
    logic, the level adder of the output, and control."""
    s = _shape(params, folding)
    rom = 0
    if folding.mem_style is not MemStyle.BLOCK:
        rom = rom_columns(s.words, s.t_bits) * rom_luts(s.folds)
    return {
        "const": 1.0,
        "control_bits": s.fold_bits,
        "compare_bits": folding.pe * s.n * s.compare_bits,
        "count_bits": folding.pe * max(s.n - 1, 0) * s.count_bits,
        "rom_luts": rom,
        "out_bits": s.out_bits,
    }


def ff_features(
    params: ThresholdingParams, folding: NodeFolding, family: Family
) -> dict[str, float]:
    """Register bits of sf_thresholding.v; a ROM output register keeps only varying columns."""
    s = _shape(params, folding)
    regs = s.fold_bits + 2 * FIFO_COUNT_BITS + 2 * FIFO_POINTER_BITS + 2  # + valid1, out_valid
    regs += s.in_bits + s.out_bits
    if folding.mem_style is not MemStyle.BLOCK:
        # "registers": Yosys moves cf_q to the ROM's output, as "distributed" has it
        regs += rom_columns(s.words, s.t_bits)
    fifo = _fifo(s)
    if fifo.kind is MemKind.FLIPFLOPS:
        regs += fifo.depth_words * fifo.width_bits
    return {"const": 1.0, "register_bits": regs}


def _fifo(s: _Shape) -> Memory:
    return auto_memory(FIFO_DEPTH, s.out_bits, transparent=True)


def memories(params: ThresholdingParams, folding: NodeFolding) -> tuple[Memory, ...]:
    """The output FIFO (LUT RAM), and the thresholds in block RAM with ``MemStyle.BLOCK``."""
    s = _shape(params, folding)
    out = [_fifo(s)]
    if folding.mem_style is MemStyle.BLOCK:  # Yosys drops constant bit columns first
        width = rom_columns(s.words, s.t_bits, distinct=False)
        out.append(Memory(s.folds, width, MemKind.BLOCK, rom=True))
    return tuple(out)


def resources(params: ThresholdingParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF/LUTRAM/BRAM/DSP of sf_thresholding for ``family`` (calibrated; see cost.resources)."""
    params, folding = widened(params, folding)
    return combine(
        "thresholding",
        family,
        lut_features(params, folding, family),
        ff_features(params, folding, family),
        memories(params, folding),
    )
