"""Fit the resource models of the hardware blocks to Yosys synthesis, and report their error.

    .venv/bin/python bench/calibrate.py [--family xilinx7] [--cache build/calibrate] [--write]
        [--workers N | --address RAY_ADDRESS | --serial]

Synthesises a small grid of configurations per block (in parallel on Ray: one Yosys run per
core of this machine, or on the cluster at ``--address``; results cached in ``--cache`` by
configuration, so an interrupted sweep resumes), fits each block's constants by least
squares over the *calibration* points, and prints per block and resource the mean absolute
percentage error (MAPE) over the calibration points and over *held-out* points that were not
used for fitting.
``--write`` stores the constants, with the per-point errors and where they came from (command,
date, Yosys version), in ``src/streamfold/cost/calibration.json``; with ``--blocks`` naming
only some blocks it merges: those blocks' entries are added or replaced (each citing its run),
the others keep their constants.

The features each constant multiplies are the analytic ones in each block's ``cost.py``
(``lut_features`` / ``ff_features``); BRAM, LUTRAM and DSP counts are computed from the memory
geometry and are not fitted, only checked.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from streamfold.cost import design_cost
from streamfold.cost import resources as res
from streamfold.cost.devices import Family
from streamfold.hw.add.params import AddParams
from streamfold.hw.add.rtl import instance as add_instance
from streamfold.hw.block import MemStyle, NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.concat.params import ConcatParams
from streamfold.hw.concat.rtl import instance as concat_instance
from streamfold.hw.depthtospace.params import DepthToSpaceParams
from streamfold.hw.depthtospace.rtl import instance as depthtospace_instance
from streamfold.hw.dwc.rtl import dwc_instance
from streamfold.hw.fifo.rtl import fifo_instance
from streamfold.hw.fork.rtl import fork_instance
from streamfold.hw.globalpool.params import GlobalPoolParams
from streamfold.hw.globalpool.rtl import instance as globalpool_instance
from streamfold.hw.maxpool.params import MaxPoolParams
from streamfold.hw.maxpool.rtl import instance as maxpool_instance
from streamfold.hw.mulshift.params import MulShiftParams
from streamfold.hw.mulshift.rtl import instance as mulshift_instance
from streamfold.hw.mvau.params import MvauParams
from streamfold.hw.mvau.rtl import instance as mvau_instance
from streamfold.hw.pad.params import PadParams
from streamfold.hw.pad.rtl import instance as pad_instance
from streamfold.hw.swg.params import SwgParams
from streamfold.hw.swg.rtl import instance as swg_instance
from streamfold.hw.thresholding.params import ThresholdingParams
from streamfold.hw.thresholding.rtl import instance as thresholding_instance
from streamfold.hw.upsample.params import UpsampleParams
from streamfold.hw.upsample.rtl import instance as upsample_instance
from streamfold.hw.vvau.params import VvauParams
from streamfold.hw.vvau.rtl import instance as vvau_instance
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.intervals import dot_interval
from streamfold.ir.ops import DepthToSpaceMode, IntArray

CALIBRATION = res.CALIBRATION_FILE
SEED = 0


# ------------------------------------------------------------------------------- configurations
@dataclass(frozen=True)
class MvauConfig:
    in_features: int
    out_features: int
    x: str  # IntType text: u2, i4, bipolar
    w: str
    out: str  # thresholded output type, or "acc" for the accumulator
    pe: int
    simd: int
    mem_style: str
    # integer weights: 0 draws them uniformly over the type; s > 0 as a trained or initialised
    # network's, round(N(0, s)) clipped to the type (most near zero, the high bits mostly sign)
    spread: float = 0

    block = "mvau"
    late_fields = ("spread",)

    def build(self) -> tuple[MvauParams, NodeFolding]:
        rng = np.random.default_rng(SEED)
        x, w = IntType.parse(self.x), IntType.parse(self.w)
        shape = (self.out_features, self.in_features)
        if w.bipolar:
            weight = rng.choice([-1, 1], shape)
        elif self.spread:
            weight = np.clip(np.rint(rng.normal(0, self.spread, shape)), w.min, w.max)
            weight = weight.astype(np.int64)
        else:
            weight = rng.integers(w.min, w.max + 1, shape)
        lo, hi = dot_interval(weight, x.min, x.max)
        acc = narrowest(lo, hi)
        thresholds = None
        out = acc
        if self.out != "acc":
            out = IntType.parse(self.out)
            n = out.levels - 1
            t = np.sort(rng.integers(lo, hi + 1, (self.out_features, n)), axis=1)
            thresholds = IntArray(t)
        params = MvauParams(
            self.in_features, self.out_features, x, w, acc, out, IntArray(weight), thresholds
        )
        return params, NodeFolding(self.pe, self.simd, MemStyle(self.mem_style))

    def instance(self) -> RtlInstance:
        return mvau_instance(*self.build(), "cal")


@dataclass(frozen=True)
class VvauConfig:
    channels: int
    kernel: int  # positions k_h * k_w
    x: str  # IntType text: u2, i4, bipolar
    w: str
    out: str  # thresholded output type, or "acc" for the accumulator
    pe: int
    simd: int
    mem_style: str

    block = "vvau"

    def build(self) -> tuple[VvauParams, NodeFolding]:
        rng = np.random.default_rng(SEED)
        x, w = IntType.parse(self.x), IntType.parse(self.w)
        shape = (self.channels, self.kernel)
        weight = rng.choice([-1, 1], shape) if w.bipolar else rng.integers(w.min, w.max + 1, shape)
        lo, hi = dot_interval(weight, x.min, x.max)
        acc = narrowest(lo, hi)
        thresholds = None
        out = acc
        if self.out != "acc":
            out = IntType.parse(self.out)
            t = np.sort(rng.integers(lo, hi + 1, (self.channels, out.levels - 1)), axis=1)
            thresholds = IntArray(t)
        params = VvauParams(
            self.channels, self.kernel, x, w, acc, out, IntArray(weight), thresholds
        )
        return params, NodeFolding(self.pe, self.simd, MemStyle(self.mem_style))

    def instance(self) -> RtlInstance:
        return vvau_instance(*self.build(), "cal")


@dataclass(frozen=True)
class MulShiftConfig:
    channels: int
    x: str
    out: str
    pe: int
    mem_style: str
    m_bits: int  # signed multiplier width (the Requantizer's multiplier_bits)
    shift: int
    per_tensor: bool = False

    block = "mulshift"

    def build(self) -> tuple[MulShiftParams, NodeFolding]:
        """Positive multipliers of ``m_bits`` bits, biases spanning the output range."""
        rng = np.random.default_rng(SEED)
        x, out = IntType.parse(self.x), IntType.parse(self.out)
        n = 1 if self.per_tensor else self.channels
        m = rng.integers(1 << (self.m_bits - 2), 1 << (self.m_bits - 1), n)
        reach = 1 << (self.shift + out.bits)
        b = rng.integers(-reach, reach, n)
        params = MulShiftParams(
            self.channels, x, out, tuple(int(v) for v in m), tuple(int(v) for v in b),
            (self.shift,),
        )  # fmt: skip
        return params, NodeFolding(self.pe, 1, MemStyle(self.mem_style))

    def instance(self) -> RtlInstance:
        return mulshift_instance(*self.build(), "cal")


@dataclass(frozen=True)
class ThresholdingConfig:
    channels: int
    x: str
    out: str
    pe: int
    mem_style: str

    block = "thresholding"

    def build(self) -> tuple[ThresholdingParams, NodeFolding]:
        rng = np.random.default_rng(SEED)
        x, out = IntType.parse(self.x), IntType.parse(self.out)
        t = np.sort(rng.integers(x.min, x.max + 1, (self.channels, out.levels - 1)), axis=1)
        params = ThresholdingParams(self.channels, x, out, IntArray(t))
        return params, NodeFolding(self.pe, 1, MemStyle(self.mem_style))

    def instance(self) -> RtlInstance:
        return thresholding_instance(*self.build(), "cal")


@dataclass(frozen=True)
class FifoConfig:
    width: int
    depth: int

    block = "fifo"

    def instance(self) -> RtlInstance:
        return fifo_instance(StreamFormat(IntType(self.width, False), 1, 64), self.depth)


@dataclass(frozen=True)
class DwcConfig:
    elem_bits: int
    in_elems: int
    out_elems: int

    block = "dwc"

    def instance(self) -> RtlInstance:
        vector = self.in_elems * self.out_elems * 4
        return dwc_instance(
            StreamFormat(IntType(self.elem_bits, False), self.in_elems, vector), self.out_elems
        )


@dataclass(frozen=True)
class ForkConfig:
    width: int

    block = "fork"

    def instance(self) -> RtlInstance:
        return fork_instance(StreamFormat(IntType(self.width, False), 1, 64))


@dataclass(frozen=True)
class AddConfig:
    channels: int
    x0: str
    k0: int
    x1: str
    k1: int
    simd: int

    block = "add"

    def build(self) -> tuple[AddParams, NodeFolding]:
        x0, x1 = IntType.parse(self.x0), IntType.parse(self.x1)
        return AddParams(self.channels, 16, x0, x1, self.k0, self.k1), NodeFolding(1, self.simd)

    def instance(self) -> RtlInstance:
        return add_instance(*self.build(), "cal")


@dataclass(frozen=True)
class ConcatConfig:
    channels0: int
    channels1: int
    x0: str
    x1: str
    simd: int

    block = "concat"

    def build(self) -> tuple[ConcatParams, NodeFolding]:
        x0, x1 = IntType.parse(self.x0), IntType.parse(self.x1)
        return ConcatParams(self.channels0, self.channels1, 16, x0, x1), NodeFolding(1, self.simd)

    def instance(self) -> RtlInstance:
        return concat_instance(*self.build(), "cal")


def _dims(h: int, w: int) -> tuple[int, ...]:
    """Spatial dims of a streaming-block configuration: h = 0 is a 1-D signal of w samples."""
    return (w,) if h == 0 else (h, w)


@dataclass(frozen=True)
class SwgConfig:
    channels: int
    h: int  # 0: 1-D
    w: int
    k: int  # kernel and stride, the same in every dimension
    s: int
    x: str
    simd: int
    mmv: int
    mem_style: str

    block = "swg"

    def build(self) -> tuple[SwgParams, NodeFolding]:
        dims = _dims(self.h, self.w)
        n = len(dims)
        params = SwgParams(
            self.channels, dims, (self.k,) * n, (self.s,) * n, IntType.parse(self.x), self.mmv
        )
        return params, NodeFolding(1, self.simd, MemStyle(self.mem_style))

    def instance(self) -> RtlInstance:
        return swg_instance(*self.build(), "cal")


@dataclass(frozen=True)
class PadConfig:
    channels: int
    h: int  # 0: 1-D
    w: int
    before: int  # top and left
    after: int  # bottom and right
    x: str
    simd: int

    block = "pad"

    def build(self) -> tuple[PadParams, NodeFolding]:
        dims = _dims(self.h, self.w)
        x = IntType.parse(self.x)
        pad = ((self.before, self.after),) * len(dims)
        params = PadParams(self.channels, dims, pad, x, -1 if x.bipolar else 0)
        return params, NodeFolding(1, self.simd)

    def instance(self) -> RtlInstance:
        return pad_instance(*self.build(), "cal")


@dataclass(frozen=True)
class MaxPoolConfig:
    channels: int
    h: int  # 0: 1-D
    w: int
    k: int
    s: int
    x: str
    simd: int
    mem_style: str

    block = "maxpool"

    def build(self) -> tuple[MaxPoolParams, NodeFolding]:
        dims = _dims(self.h, self.w)
        n = len(dims)
        params = MaxPoolParams(
            self.channels, dims, (self.k,) * n, (self.s,) * n, IntType.parse(self.x)
        )
        return params, NodeFolding(1, self.simd, MemStyle(self.mem_style))

    def instance(self) -> RtlInstance:
        return maxpool_instance(*self.build(), "cal")


@dataclass(frozen=True)
class GlobalPoolConfig:
    channels: int
    h: int  # 0: 1-D
    w: int
    x: str
    simd: int

    block = "globalpool"

    def build(self) -> tuple[GlobalPoolParams, NodeFolding]:
        params = GlobalPoolParams(self.channels, _dims(self.h, self.w), IntType.parse(self.x))
        return params, NodeFolding(1, self.simd)

    def instance(self) -> RtlInstance:
        return globalpool_instance(*self.build(), "cal")


@dataclass(frozen=True)
class UpsampleConfig:
    channels: int
    h: int  # 0: 1-D
    w: int
    f: int  # factor on each axis
    x: str
    simd: int
    mem_style: str

    block = "upsample"

    def build(self) -> tuple[UpsampleParams, NodeFolding]:
        dims = _dims(self.h, self.w)
        params = UpsampleParams(self.channels, dims, (self.f,) * len(dims), IntType.parse(self.x))
        return params, NodeFolding(1, self.simd, MemStyle(self.mem_style))

    def instance(self) -> RtlInstance:
        return upsample_instance(*self.build(), "cal")


@dataclass(frozen=True)
class DepthToSpaceConfig:
    channels: int  # output channels
    h: int
    w: int
    b: int
    mode: str
    x: str
    simd: int
    mem_style: str

    block = "depthtospace"

    def build(self) -> tuple[DepthToSpaceParams, NodeFolding]:
        params = DepthToSpaceParams(
            self.channels, (self.h, self.w), self.b, DepthToSpaceMode(self.mode),
            IntType.parse(self.x),
        )  # fmt: skip
        return params, NodeFolding(1, self.simd, MemStyle(self.mem_style))

    def instance(self) -> RtlInstance:
        return depthtospace_instance(*self.build(), "cal")


Config = (
    MvauConfig
    | VvauConfig
    | ThresholdingConfig
    | FifoConfig
    | DwcConfig
    | SwgConfig
    | PadConfig
    | MaxPoolConfig
    | GlobalPoolConfig
    | UpsampleConfig
    | DepthToSpaceConfig
    | ForkConfig
    | AddConfig
    | ConcatConfig
    | MulShiftConfig
)
D, B, R = "distributed", "block", "registers"


def mvau_grid() -> tuple[list[Config], list[Config]]:
    """(calibration, held-out): named corners of widths, folding and memory style."""
    m = MvauConfig
    cal: list[Config] = [
        m(64, 16, "bipolar", "bipolar", "bipolar", 1, 1, D),
        m(64, 16, "bipolar", "bipolar", "bipolar", 2, 8, D),
        m(64, 16, "bipolar", "bipolar", "bipolar", 8, 32, D),
        m(64, 16, "bipolar", "bipolar", "bipolar", 4, 16, B),
        m(64, 16, "u2", "i2", "u2", 1, 4, D),
        m(64, 16, "u2", "i2", "u2", 4, 8, D),
        m(64, 16, "u2", "i2", "u2", 8, 16, D),
        m(64, 16, "u2", "i2", "u2", 2, 16, B),
        m(64, 16, "u2", "i2", "acc", 4, 4, D),
        m(64, 16, "u4", "i4", "u4", 2, 4, D),
        m(64, 16, "u4", "i4", "u4", 4, 16, B),
        m(64, 16, "u4", "i4", "acc", 8, 8, D),
        m(64, 32, "i4", "bipolar", "u2", 4, 8, D),
        m(64, 32, "u8", "i2", "u2", 2, 8, D),
        m(128, 32, "bipolar", "bipolar", "bipolar", 4, 16, D),
        m(128, 32, "u2", "i2", "u2", 2, 32, D),
        m(256, 64, "u2", "i2", "u2", 1, 8, B),
        m(256, 64, "bipolar", "bipolar", "bipolar", 8, 64, B),
        m(64, 16, "u2", "i2", "u2", 4, 8, R),
        m(64, 16, "bipolar", "bipolar", "bipolar", 2, 8, R),
        # TFC-like: 8-bit pixels times bipolar weights, and deep weight ROMs in logic
        m(784, 16, "u8", "bipolar", "bipolar", 1, 49, D),
        m(256, 64, "bipolar", "bipolar", "bipolar", 1, 8, D),
        m(784, 64, "u8", "bipolar", "bipolar", 1, 49, D),
        # First layers: few input channels of 8-bit pixels or samples (a 3x3 or 1x3 window
        # over 1 to 3 channels), all or most outputs in parallel (constant thresholds with
        # one neuron fold), small SIMD
        m(9, 16, "u8", "i2", "u2", 16, 1, D),
        m(27, 16, "u8", "i4", "u4", 4, 3, D),
        m(3, 32, "u8", "i2", "u2", 8, 1, D),
        m(9, 8, "i8", "i4", "acc", 8, 3, D),
        m(9, 16, "u8", "i4", "u4", 8, 1, D),
        # 15 thresholds (4-bit outputs) in one or two neuron folds: constant or nearly
        # constant threshold bits
        m(64, 8, "u4", "i4", "u4", 8, 8, D),
        m(32, 4, "u4", "i4", "u4", 2, 8, D),
        # 8-bit activations times 8-bit weights (the accumulator out: 8-bit thresholds would
        # be 255 per output)
        m(24, 16, "i8", "i8", "acc", 8, 2, D),
        m(32, 8, "u8", "i8", "acc", 4, 8, B),
        # Last layers: 1 to 4 outputs (one neuron fold), thresholded or the accumulator
        m(64, 2, "u2", "i2", "u2", 2, 8, D),
        m(32, 1, "u4", "i4", "acc", 1, 4, D),
        m(96, 4, "u2", "i2", "acc", 4, 16, D),
        m(128, 4, "bipolar", "bipolar", "acc", 2, 32, D),
        # 8-bit pixels times bipolar weights at wide SIMD and PE (conditional negations and
        # their adder trees; XNOR-popcount at wide SIMD), weights in block RAM
        m(256, 32, "u8", "bipolar", "bipolar", 8, 32, B),
        m(512, 64, "bipolar", "bipolar", "bipolar", 4, 64, B),
        # Deep fully folded units (PE 1 / SIMD 1, as a small-device CNV): fold counters of 15
        # to 20 bits and weights in banked block RAM (1 to 36 banks: a wide bank select)
        m(288, 48, "bipolar", "bipolar", "bipolar", 1, 1, B),
        m(1024, 96, "bipolar", "bipolar", "bipolar", 1, 1, B),
        m(2048, 160, "bipolar", "bipolar", "bipolar", 1, 1, B),
        m(3072, 192, "bipolar", "bipolar", "bipolar", 1, 1, B),
        m(18, 32, "u8", "bipolar", "bipolar", 1, 1, B),
        m(512, 64, "u2", "i2", "u2", 1, 2, B),
        # A first layer at wide PE and SIMD with its weights in a shallow logic ROM (28
        # words), and XNOR-popcount at SIMD 32 in one PE
        m(392, 32, "u8", "bipolar", "bipolar", 16, 28, D),
        m(128, 48, "bipolar", "bipolar", "bipolar", 1, 32, D),
        # Integer inputs times weights from block RAM (two variable operands)
        m(392, 32, "u8", "i2", "u2", 1, 28, B),
        m(128, 32, "u4", "i4", "u4", 2, 16, B),
        m(256, 32, "u2", "i2", "u2", 4, 32, B),
    ]
    held: list[Config] = [
        m(64, 16, "bipolar", "bipolar", "bipolar", 4, 8, D),
        m(64, 16, "u2", "i2", "u2", 2, 8, D),
        m(96, 24, "u4", "i4", "u4", 4, 8, D),
        m(128, 32, "u2", "i2", "u2", 4, 16, B),
        m(128, 16, "bipolar", "bipolar", "bipolar", 16, 16, D),
        m(64, 16, "u2", "i2", "acc", 2, 16, D),
        m(784, 32, "u8", "bipolar", "bipolar", 2, 28, D),
        m(64, 64, "bipolar", "bipolar", "bipolar", 1, 16, D),
        m(512, 32, "u2", "i2", "u2", 1, 8, D),
        m(18, 16, "u8", "i2", "u2", 8, 2, D),
        m(48, 2, "u4", "i4", "acc", 1, 8, D),
        m(392, 32, "u8", "bipolar", "bipolar", 8, 56, B),
        m(32, 3, "u2", "i2", "u2", 3, 8, D),
        m(768, 128, "bipolar", "bipolar", "bipolar", 1, 1, B),
        m(1536, 256, "bipolar", "bipolar", "bipolar", 1, 1, B),
        m(36, 48, "u8", "bipolar", "bipolar", 1, 1, B),
        m(196, 32, "u8", "i2", "u2", 2, 14, B),
        # Weights as a network's (round(N(0, s)), most near zero: high bits mostly copies of
        # the sign, few-word lanes that need fewer bits than the type): integer products from
        # logic ROMs of 8 to 64 words and from block RAM, 2 to 8 bits; deep fully folded units
        # with their weights in logic (ROMs of 4,096 to 32,768 words). Held out: fitted with
        # them, synth_ecp5's whole designs were worse (docs/benchmarks.md).
        m(64, 32, "u8", "i8", "acc", 4, 16, B, 5.0),
        m(144, 16, "u4", "i4", "u4", 4, 36, D, 2.0),
        m(200, 16, "u8", "i2", "u2", 1, 50, B, 0.7),
        m(256, 64, "u2", "i2", "u2", 1, 1, D, 0.7),
        m(96, 32, "u4", "i4", "u4", 8, 48, D, 2.0),
        m(64, 16, "u2", "i2", "u2", 4, 32, D, 0.8),
        m(48, 16, "i8", "i8", "acc", 4, 6, D, 8.0),
        m(72, 16, "u8", "i8", "acc", 4, 8, B, 6.0),
        m(288, 32, "u8", "i2", "u2", 2, 32, B, 0.7),
        m(128, 64, "u4", "i4", "u4", 2, 16, B, 2.0),
        m(128, 32, "u2", "i2", "u2", 1, 1, D, 0.7),
        m(512, 64, "u2", "i2", "u2", 1, 1, D, 0.7),
    ]
    return cal, held


def vvau_grid() -> tuple[list[Config], list[Config]]:
    """(calibration, held-out): depthwise 3x3 layers of MobileNet-like widths, both foldings
    (PE channels; SIMD positions with PE = channels), thresholded and not, each memory style.
    Few and small: each point is one Yosys run."""
    v = VvauConfig
    cal: list[Config] = [
        v(16, 9, "u2", "i2", "u2", 1, 1, D),
        v(16, 9, "u2", "i2", "u2", 4, 1, D),
        v(16, 9, "u2", "i2", "u2", 16, 3, D),
        v(16, 9, "u4", "i4", "u4", 8, 1, B),
        v(32, 9, "u4", "i4", "acc", 8, 1, D),
        v(8, 9, "u4", "i4", "u4", 8, 9, R),
        v(32, 9, "bipolar", "bipolar", "bipolar", 4, 1, D),
        v(16, 9, "u8", "i2", "u2", 2, 1, D),
        v(8, 9, "u8", "bipolar", "acc", 8, 3, D),
        v(16, 9, "i4", "i4", "acc", 16, 3, D),
    ]
    held: list[Config] = [
        v(16, 9, "u4", "i4", "u4", 4, 1, D),
        v(32, 9, "u2", "i2", "u2", 8, 1, D),
        v(8, 9, "u2", "i2", "u2", 8, 3, D),
    ]
    return cal, held


def thresholding_grid() -> tuple[list[Config], list[Config]]:
    t = ThresholdingConfig
    cal: list[Config] = [
        t(64, "i8", "u2", 1, D),
        t(64, "i8", "u2", 4, D),
        t(64, "i8", "u2", 16, D),
        t(64, "i8", "u4", 4, D),
        t(64, "i16", "u2", 8, D),
        t(64, "i8", "bipolar", 8, D),
        t(256, "i8", "u2", 4, D),
        t(256, "i8", "u4", 8, B),
        t(64, "i8", "u2", 4, B),
        t(64, "i8", "u2", 4, R),
    ]
    held: list[Config] = [
        t(64, "i8", "u2", 8, D),
        t(128, "i12", "u3", 4, D),
        t(128, "i8", "u2", 16, B),
    ]
    return cal, held


def mulshift_grid() -> tuple[list[Config], list[Config]]:
    """Output widths 1 (bipolar) to 8, multipliers 8 to 16 bits, PE 1 to 8, each style."""
    m = MulShiftConfig
    cal: list[Config] = [
        m(16, "i16", "u8", 1, D, 16, 20),
        m(16, "i16", "u4", 2, D, 16, 20),
        m(16, "i16", "u2", 4, D, 16, 18),
        m(64, "i12", "u8", 4, D, 12, 14),
        m(16, "i20", "i8", 2, B, 16, 22),
        m(16, "i16", "u8", 2, R, 16, 20),
        m(8, "i10", "bipolar", 2, D, 8, 8),
        m(32, "u12", "u4", 8, D, 10, 12),
        m(16, "i16", "u8", 2, R, 16, 20, per_tensor=True),
        m(8, "i12", "u3", 4, D, 12, 14, per_tensor=True),
    ]
    held: list[Config] = [
        m(32, "i16", "u8", 2, D, 16, 20),
        m(16, "i14", "u6", 4, D, 12, 16),
        m(64, "i16", "u4", 2, B, 16, 18),
        m(16, "i14", "u6", 2, D, 14, 16, per_tensor=True),
    ]
    return cal, held


def fifo_grid() -> tuple[list[Config], list[Config]]:
    f = FifoConfig
    cal: list[Config] = [f(w, d) for w in (2, 8, 32, 64) for d in (2, 8, 33)]
    # the depths the FIFO sizing gives in real designs (10, 16, 28 words: pointers that wrap
    # early; 64 and 512 deep), at the narrow widths of thresholded outputs
    cal += [f(4, 16), f(16, 16), f(8, 10), f(4, 28), f(32, 28), f(2, 64), f(32, 64), f(1, 512)]
    held: list[Config] = [f(16, 4), f(24, 16), f(40, 64)]
    return cal, held


def dwc_grid() -> tuple[list[Config], list[Config]]:
    """(calibration, held-out) for each of sf_dwc's structures: up, down and any ratio."""
    d = DwcConfig
    cal: list[Config] = [
        d(2, 1, 4), d(4, 4, 16), d(8, 1, 8), d(1, 8, 64), d(2, 2, 6),  # up
        d(2, 4, 1), d(2, 8, 2), d(1, 16, 4), d(2, 16, 8), d(8, 8, 1), d(1, 64, 8),  # down
        d(8, 2, 3), d(1, 49, 16), d(2, 3, 2), d(1, 16, 49), d(2, 6, 4), d(4, 4, 6),  # any
    ]  # fmt: skip
    held: list[Config] = [
        d(1, 4, 32), d(2, 3, 12), d(2, 8, 4), d(4, 12, 4), d(4, 6, 4), d(1, 28, 16), d(3, 4, 6),
    ]  # fmt: skip
    return cal, held


def swg_grid() -> tuple[list[Config], list[Config]]:
    g = SwgConfig
    cal: list[Config] = [
        g(4, 8, 8, 3, 1, "u2", 1, 1, D),
        g(16, 8, 8, 3, 1, "u4", 4, 1, D),
        g(8, 16, 16, 3, 1, "bipolar", 8, 1, D),
        g(32, 16, 16, 3, 1, "u2", 8, 1, B),
        g(16, 0, 64, 5, 1, "i8", 4, 4, D),
        g(8, 0, 33, 3, 2, "u4", 8, 2, D),
        g(4, 8, 8, 2, 2, "u4", 4, 1, R),
        g(64, 8, 8, 3, 1, "i8", 16, 1, B),
        g(8, 32, 32, 3, 1, "u2", 2, 1, D),
        g(8, 0, 33, 3, 2, "u4", 8, 2, B),
    ]
    held: list[Config] = [
        g(16, 12, 12, 3, 2, "u2", 4, 1, D),
        g(8, 0, 50, 4, 2, "u4", 8, 3, D),
        g(32, 8, 8, 3, 1, "u4", 32, 1, B),
    ]
    return cal, held


def pad_grid() -> tuple[list[Config], list[Config]]:
    p = PadConfig
    cal: list[Config] = [
        p(4, 8, 8, 1, 1, "u2", 1),
        p(16, 8, 8, 1, 1, "u4", 4),
        p(64, 16, 16, 1, 1, "bipolar", 16),
        p(8, 0, 64, 2, 2, "i8", 8),
        p(32, 32, 32, 1, 1, "u4", 8),
        p(16, 0, 100, 3, 0, "u2", 2),
        p(8, 12, 12, 0, 2, "i8", 4),
    ]
    held: list[Config] = [
        p(32, 10, 10, 1, 1, "u2", 4),
        p(12, 0, 40, 2, 2, "i8", 3),
        p(64, 6, 6, 1, 1, "u4", 64),
    ]
    return cal, held


def maxpool_grid() -> tuple[list[Config], list[Config]]:
    m = MaxPoolConfig
    cal: list[Config] = [
        m(4, 8, 8, 2, 2, "u2", 1, D),
        m(16, 16, 16, 2, 2, "u4", 4, D),
        m(64, 8, 8, 2, 2, "bipolar", 16, D),
        m(32, 16, 16, 3, 2, "i8", 8, B),
        m(8, 0, 64, 4, 4, "u4", 8, D),
        m(16, 0, 32, 3, 1, "i8", 2, D),
        m(8, 8, 8, 2, 2, "u2", 2, R),
        m(32, 32, 32, 2, 2, "u2", 4, B),
    ]
    held: list[Config] = [
        m(16, 12, 12, 2, 2, "u4", 8, D),
        m(8, 0, 48, 2, 2, "i8", 4, D),
        m(64, 16, 16, 2, 2, "u2", 16, B),
    ]
    return cal, held


def globalpool_grid() -> tuple[list[Config], list[Config]]:
    g = GlobalPoolConfig
    cal: list[Config] = [
        g(4, 8, 8, "u2", 1),
        g(16, 8, 8, "u4", 4),
        g(64, 4, 4, "bipolar", 16),
        g(32, 16, 16, "i8", 8),
        g(8, 0, 64, "u4", 8),
        g(64, 8, 8, "u2", 2),
        g(16, 32, 32, "i8", 16),
        g(32, 0, 100, "bipolar", 4),
    ]
    held: list[Config] = [
        g(16, 12, 12, "u4", 8),
        g(48, 8, 8, "i8", 6),
        g(64, 0, 32, "u2", 64),
        g(32, 6, 6, "bipolar", 8),
    ]
    return cal, held


def upsample_grid() -> tuple[list[Config], list[Config]]:
    u = UpsampleConfig
    cal: list[Config] = [
        u(4, 8, 8, 2, "u2", 1, D),
        u(16, 16, 16, 2, "u4", 4, D),
        u(64, 8, 8, 2, "bipolar", 16, D),
        u(32, 16, 32, 2, "i8", 8, B),
        u(8, 0, 64, 3, "u4", 8, D),
        u(8, 8, 8, 2, "u2", 2, R),
    ]
    held: list[Config] = [
        u(16, 12, 12, 2, "u4", 8, D),
        u(8, 0, 48, 2, "i8", 4, D),
        u(64, 16, 16, 2, "u2", 16, B),
    ]
    return cal, held


def depthtospace_grid() -> tuple[list[Config], list[Config]]:
    d = DepthToSpaceConfig
    cal: list[Config] = [
        d(4, 8, 8, 2, "DCR", "u2", 1, D),
        d(16, 8, 8, 2, "DCR", "u4", 4, D),
        d(8, 8, 8, 2, "CRD", "u4", 1, D),
        d(16, 8, 16, 2, "DCR", "i8", 8, B),
        d(4, 4, 4, 3, "CRD", "u2", 1, D),
        d(2, 4, 4, 2, "DCR", "u2", 2, R),
    ]
    held: list[Config] = [
        d(8, 6, 6, 2, "DCR", "u4", 4, D),
        d(4, 8, 8, 2, "CRD", "i8", 1, D),
        d(32, 8, 8, 2, "DCR", "u2", 16, B),
    ]
    return cal, held


def fork_grid() -> tuple[list[Config], list[Config]]:
    f = ForkConfig
    cal: list[Config] = [f(w) for w in (1, 4, 16, 64)]
    held: list[Config] = [f(8), f(32), f(128)]
    return cal, held


def add_grid() -> tuple[list[Config], list[Config]]:
    a = AddConfig
    cal: list[Config] = [
        a(16, "u2", 1, "u2", 1, 1),
        a(16, "u4", 1, "u4", 1, 4),
        a(16, "i4", 3, "u2", 1, 8),
        a(32, "u2", 1, "i8", 5, 4),
        a(64, "u4", 7, "u4", 2, 16),
        # residual adds align exact scales: large constants (tests/dag_nets.py's ResNet)
        a(8, "i2", 19897, "u2", 5914, 8),
        a(16, "i4", 13519, "i4", 13338, 4),
        a(16, "u8", 2731, "i4", 405, 4),
    ]
    held: list[Config] = [
        a(16, "u2", 1, "u2", 1, 8),
        a(32, "u4", 3, "u4", 1, 4),
        a(24, "i4", 1, "i4", 1, 6),
        a(16, "i2", 115309, "u2", 47859, 4),
        a(16, "u4", 9041, "u4", 1237, 4),
    ]
    return cal, held


def concat_grid() -> tuple[list[Config], list[Config]]:
    c = ConcatConfig
    cal: list[Config] = [
        c(8, 8, "u2", "u2", 1),
        c(16, 16, "u4", "u4", 4),
        c(32, 16, "u2", "u4", 8),
        c(64, 64, "i8", "i8", 16),
        c(16, 48, "u2", "u2", 2),
    ]
    held: list[Config] = [
        c(16, 16, "u2", "u2", 4),
        c(24, 8, "u4", "u4", 8),
        c(32, 32, "u4", "i4", 2),
    ]
    return cal, held


GRIDS: dict[str, Callable[[], tuple[list[Config], list[Config]]]] = {
    "mvau": mvau_grid,
    "vvau": vvau_grid,
    "thresholding": thresholding_grid,
    "fifo": fifo_grid,
    "dwc": dwc_grid,
    "swg": swg_grid,
    "pad": pad_grid,
    "maxpool": maxpool_grid,
    "globalpool": globalpool_grid,
    "upsample": upsample_grid,
    "depthtospace": depthtospace_grid,
    "fork": fork_grid,
    "add": add_grid,
    "concat": concat_grid,
    "mulshift": mulshift_grid,
}


# ------------------------------------------------------------------------------- synthesis
def config_key(config: Config) -> str:
    """A stable file name for a configuration's cached synthesis result."""
    # a field added later is left out at its default (the results cached before it stay)
    late = getattr(config, "late_fields", ())
    defaults = {f.name: f.default for f in fields(config) if f.name in late}
    values = [v for k, v in asdict(config).items() if v != defaults.get(k, MISSING)]
    fields_text = "_".join(str(v) for v in values)
    return f"{config.block}_{fields_text}".replace("-", "m")


def synthesize(config: Config, family: Family, cache: Path) -> dict[str, int]:
    """Yosys resources of ``config`` (cached as JSON under ``cache``)."""
    from streamfold.synth.yosys import synthesize_instance

    path = cache / family.value / f"{config_key(config)}.json"
    if path.is_file():
        cached: dict[str, int] = json.loads(path.read_text())["resources"]
        return cached
    workdir = cache / family.value / "work" / config_key(config)
    result = synthesize_instance(config.instance(), family, workdir)
    body = {
        "config": asdict(config),
        "resources": result.resources.to_json(),
        "cells": dict(result.cells),
        "seconds": round(result.seconds, 2),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=1) + "\n")
    print(f"  {result.seconds:6.1f} s  {config}", file=sys.stderr, flush=True)
    return result.resources.to_json()


def _synthesize_job(job: tuple[Config, Family, Path]) -> dict[str, int]:
    return synthesize(*job)


def synthesize_grid(
    family: Family,
    cache: Path,
    blocks: list[str],
    *,
    address: str | None = None,
    workers: int | None = None,
    serial: bool = False,
) -> None:
    """Synthesise every configuration of ``blocks`` not yet in ``cache``, as parallel jobs
    (``streamfold.synth.sweep``: Ray on this machine, or the cluster at ``address``)."""
    from streamfold.synth.sweep import run_sweep

    configs = [c for b in blocks for grid in GRIDS[b]() for c in grid]
    todo = [c for c in configs if not (cache / family.value / f"{config_key(c)}.json").is_file()]
    print(f"{len(todo)} of {len(configs)} configurations to synthesise", file=sys.stderr)
    jobs = [(c, family, cache.resolve()) for c in todo]
    run_sweep(_synthesize_job, jobs, address=address, workers=workers, serial=serial)


# ------------------------------------------------------------------------------- models
def describe(config: Config, family: Family) -> tuple[res.Features, res.Features, Any]:
    """(LUT features, FF features, memories) of ``config`` from its block's cost.py."""
    from streamfold.hw.dwc import cost as dwc_cost
    from streamfold.hw.fifo import cost as fifo_cost
    from streamfold.hw.mulshift import cost as mulshift_cost
    from streamfold.hw.mvau import cost as mvau_cost
    from streamfold.hw.thresholding import cost as thresholding_cost

    if isinstance(config, MvauConfig):
        p, f = config.build()
        return (mvau_cost.lut_features(p, f, family), mvau_cost.ff_features(p, f, family),
                mvau_cost.memories(p, f))  # fmt: skip
    if isinstance(config, MulShiftConfig):
        mp, f = config.build()
        mc = mulshift_cost
        return mc.lut_features(mp, f, family), mc.ff_features(mp, f, family), mc.memories(mp, f)
    if isinstance(config, ThresholdingConfig):
        tp, f = config.build()
        t = thresholding_cost
        return t.lut_features(tp, f, family), t.ff_features(tp, f, family), t.memories(tp, f)
    if isinstance(config, SwgConfig | PadConfig | MaxPoolConfig | GlobalPoolConfig
                  | UpsampleConfig | DepthToSpaceConfig | VvauConfig):  # fmt: skip
        return _describe_stream(config, family)
    if isinstance(config, ForkConfig | AddConfig | ConcatConfig):
        return _describe_join(config)
    cost = fifo_cost if isinstance(config, FifoConfig) else dwc_cost
    inst = config.instance()
    return cost.lut_features(inst), cost.ff_features(inst), cost.memories(inst)


def _describe_join(
    config: ForkConfig | AddConfig | ConcatConfig,
) -> tuple[res.Features, res.Features, Any]:
    """(LUT features, FF features, no memories) of a fork, add or concat configuration."""
    from streamfold.hw.add import cost as add_cost
    from streamfold.hw.concat import cost as concat_cost
    from streamfold.hw.fork import cost as fork_cost

    if isinstance(config, ForkConfig):
        inst = config.instance()
        return fork_cost.lut_features(inst), fork_cost.ff_features(inst), ()
    if isinstance(config, AddConfig):
        ap, f = config.build()
        return add_cost.lut_features(ap, f), add_cost.ff_features(ap, f), ()
    cp, f = config.build()
    return concat_cost.lut_features(cp, f), concat_cost.ff_features(cp, f), ()


def _describe_stream(
    config: VvauConfig
    | SwgConfig
    | PadConfig
    | MaxPoolConfig
    | GlobalPoolConfig
    | UpsampleConfig
    | DepthToSpaceConfig,
    family: Family,
) -> tuple[res.Features, res.Features, Any]:
    """(LUT features, FF features, memories) of a streaming CNN block's configuration."""
    import importlib

    cost: Any = importlib.import_module(f"streamfold.hw.{config.block}.cost")
    p, f = config.build()
    return cost.lut_features(p, f, family), cost.ff_features(p, f, family), cost.memories(p, f)


def fit(rows: list[res.Features], targets: list[float]) -> dict[str, float]:
    """Non-negative least squares on relative error: minimise sum ((model - y) / y)**2."""
    from scipy.optimize import nnls

    names = sorted({n for r in rows for n in r})
    a = np.array([[r.get(n, 0.0) for n in names] for r in rows], dtype=float)
    y = np.array(targets, dtype=float)
    scale = 1.0 / np.maximum(y, 1.0)
    coef, _ = nnls(a * scale[:, None], y * scale)
    return {n: round(float(c), 4) for n, c in zip(names, coef, strict=True)}


def pct_error(estimated: float, measured: float) -> float:
    if measured == 0:
        return 0.0 if estimated == 0 else 100.0
    return 100.0 * (estimated - measured) / measured


def mape(errors: list[float]) -> float:
    return float(np.mean(np.abs(errors))) if errors else float("nan")


RESOURCES = ("lut", "ff", "lutram", "bram", "dsp")


@dataclass
class BlockFit:
    block: str
    constants: dict[str, dict[str, float]]  # resource -> feature -> constant
    points: list[dict[str, Any]]  # config, set, measured, estimated, error per resource

    def summary(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for r in RESOURCES:
            row = {}
            for which in ("calibration", "held-out"):
                pts = [p for p in self.points if p["set"] == which]
                row[f"mape_{which}"] = round(mape([p["error_pct"][r] for p in pts]), 2)
                row[f"exact_{which}"] = sum(p["estimated"][r] == p["measured"][r] for p in pts)
                row[f"n_{which}"] = len(pts)
            out[r] = row
        return out


def fit_block(block: str, family: Family, cache: Path) -> BlockFit:
    cal, held = GRIDS[block]()
    measured = {c: synthesize(c, family, cache) for c in cal + held}
    described = {c: describe(c, family) for c in cal + held}
    constants: dict[str, dict[str, float]] = {}
    for k, r in enumerate(("lut", "ff")):
        # LUT constants model the logic LUTs; LUTs used as memory come from the geometry.
        # FF constants model the registers that are not shift registers turned into FFs.
        logic = [float(measured[c][r] - _structural(r, described[c][2], family, measured[c]))
                 for c in cal]  # fmt: skip
        constants[r] = fit([described[c][k] for c in cal], logic)
    points = []
    for c in cal + held:
        lut_f, ff_f, mems = described[c]
        ram = res.memory_luts(mems, family)
        est = {
            "lut": _apply(constants["lut"], lut_f) + ram,
            "ff": _apply(constants["ff"], ff_f) + res.memory_ffs(mems, family),
            "lutram": ram,
            "bram": res.memory_bram(mems, family),
            "dsp": 0,
        }
        meas = {r: measured[c][r] for r in RESOURCES}
        points.append({
            "config": asdict(c),
            "set": "calibration" if c in cal else "held-out",
            "measured": meas,
            "estimated": est,
            "error_pct": {r: round(pct_error(est[r], meas[r]), 2) for r in RESOURCES},
        })  # fmt: skip
    return BlockFit(block, constants, points)


def _structural(resource: str, mems: Any, family: Family, measured: dict[str, int]) -> int:
    """The part of a measured count that is not fitted: LUTs used as memory, SRL flip-flops."""
    if resource == "lut":
        return measured["lutram"]
    return res.memory_ffs(mems, family)


def _apply(constants: dict[str, float], features: res.Features) -> int:
    total = sum(constants.get(n, 0.0) * v for n, v in features.items())
    return max(0, round(total))


# ------------------------------------------------------------------------------- report
TARGET_PCT = {"lut": 10.0, "ff": 10.0}  # LUT/FF: MAPE on held-out; LUTRAM/BRAM/DSP: exact


def table(fits: list[BlockFit]) -> str:
    head = (
        "| block | resource | MAPE calibration | MAPE held-out | exact (cal / held-out) | target |"
    )
    lines = [head, "|---|---|---:|---:|---:|---|"]
    for f in fits:
        for r, s in f.summary().items():
            if r in TARGET_PCT:
                met = s["mape_held-out"] <= TARGET_PCT[r]
                target = f"<= {TARGET_PCT[r]:.0f} %: {'met' if met else 'MISSED'}"
            else:
                met = (
                    s["exact_held-out"] == s["n_held-out"]
                    and s["exact_calibration"] == s["n_calibration"]
                )
                target = f"exact: {'met' if met else 'MISSED'}"
            lines.append(
                f"| {f.block} | {r.upper()} | {s['mape_calibration']:.1f} % | "
                f"{s['mape_held-out']:.1f} % | {s['exact_calibration']}/{s['n_calibration']} / "
                f"{s['exact_held-out']}/{s['n_held-out']} | {target} |"
            )
    return "\n".join(lines)


def point_table(fits: list[BlockFit]) -> str:
    lines = []
    for f in fits:
        for p in f.points:
            cfg = ",".join(str(v) for v in p["config"].values())
            m, e = p["measured"], p["estimated"]
            lines.append(
                f"{f.block:12s} {p['set']:11s} {cfg:40s} "
                + " ".join(f"{r}={e[r]}/{m[r]}" for r in RESOURCES)
            )
    return "\n".join(lines)


def yosys_version() -> str:
    import subprocess

    from streamfold.synth.yosys import find_yosys

    tool = find_yosys()
    proc = subprocess.run([*tool.argv, "-V"], capture_output=True, text=True, check=False)
    return proc.stdout.strip().split(" (")[0] + (" (YoWASP)" if not tool.native else "")


def calibration_json(fits: list[BlockFit], family: Family, command: str) -> dict[str, Any]:
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    run = {
        "command": command,
        "date": date,
        "yosys": yosys_version(),
        "synthesis": f"streamfold.synth.yosys.synthesize_instance, {family.value}, -nodsp",
        "machine": f"{platform.machine()} {platform.system()}, Python {platform.python_version()}",
        "fit": "non-negative least squares on relative error over the calibration configurations",
    }
    source = f"fitted by bench/calibrate.py on {date} ({run['yosys']}); see run"
    blocks = {}
    for f in fits:
        entry: dict[str, Any] = {"summary": f.summary()}
        for r in ("lut", "ff"):
            entry[r] = {
                "constants": {n: {"value": v, "source": source} for n, v in f.constants[r].items()}
            }
        entry["points"] = f.points
        blocks[f.block] = entry
    return {"run": run, "blocks": blocks}


# ------------------------------------------------------------------------------- whole designs
TFC_FOLDINGS = ("cycles=4096", "cycles=1024")
# (weight bits, activation bits, folding, memory style) of the whole designs compared
TFC_DESIGNS = [(w, w, f, D) for w in (1, 2) for f in TFC_FOLDINGS] + [(1, 1, "cycles=1024", B)]


def tfc_graph(weight_bits: int = 1, act_bits: int = 1) -> Any:
    """FINN's TFC (784-64-64-64-10), untrained (seeded; quantiser ranges set by 4 batches)."""
    import torch

    from streamfold.flow import to_kernels
    from streamfold.frontend.torch import export
    from streamfold.models import tfc

    torch.manual_seed(SEED)
    model = tfc(weight_bits, act_bits).train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(64, 784))
    return to_kernels(export(model.eval(), (784,)))


def tfc_table(family: Family, cache: Path) -> str:
    """Whole-design LUT/FF/LUTRAM/BRAM: the estimate vs Yosys on the generated top."""
    from streamfold.codegen.top import stitch, write_build
    from streamfold.cost.devices import DEVICES
    from streamfold.dse.design_point import folding_preset
    from streamfold.synth.sweep import synthesize_build_cached

    dev = next(d for d in DEVICES.values() if d.family is family)
    rows = [
        "| design | folding | resource | estimate | Yosys | error |",
        "|---|---|---|---:|---:|---:|",
    ]
    for w, a, folding, style in TFC_DESIGNS:
        graph = tfc_graph(w, a)
        design = stitch(graph, folding_preset(graph, folding, MemStyle(style)))
        name = f"TFC-W{w}A{a}"
        out = write_build(design, cache / family.value / "tfc" / f"{name}_{folding}_{style}")
        start = time.time()
        measured = synthesize_build_cached(out, family)
        seconds = time.time() - start
        est = design_cost.estimate_design(design, dev, dev.clock_mhz).total
        for r in RESOURCES[:4]:
            e, m = getattr(est, r), getattr(measured, r)
            rows.append(
                f"| {name} | {folding}, {style} | {r.upper()} | {e} | {m} | "
                f"{pct_error(e, m):+.1f} % |"
            )
        print(f"  {name} {folding} {style}: Yosys {seconds:.0f} s", file=sys.stderr)
    return "\n".join(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--family", default="xilinx7", choices=[f.value for f in Family])
    p.add_argument("--cache", default="build/calibrate", help="synthesis results, by config")
    p.add_argument("--blocks", nargs="*", default=list(GRIDS), choices=list(GRIDS))
    p.add_argument("--write", action="store_true", help=f"update {CALIBRATION.name}")
    p.add_argument("--points", action="store_true", help="print every point")
    p.add_argument("--tfc", action="store_true", help="also compare whole TFC designs")
    p.add_argument("--workers", type=int, help="parallel Yosys runs (default: one per core)")
    p.add_argument("--address", help="a Ray cluster's address (default: start one locally)")
    p.add_argument("--serial", action="store_true", help="one Yosys run at a time, no Ray")
    args = p.parse_args()
    family = Family(args.family)
    start = time.time()
    synthesize_grid(
        family,
        Path(args.cache),
        args.blocks,
        address=args.address,
        workers=args.workers,
        serial=args.serial,
    )
    fits = [fit_block(b, family, Path(args.cache)) for b in args.blocks]
    print(f"Estimate vs Yosys ({family.value}), {time.time() - start:.0f} s\n")
    print(table(fits))
    if args.points:
        print()
        print(point_table(fits))
    if args.write:
        data = json.loads(CALIBRATION.read_text()) if CALIBRATION.is_file() else {}
        data.setdefault("about", ABOUT)
        data.setdefault("families", {})
        command = "python bench/calibrate.py " + " ".join(sys.argv[1:])
        new = calibration_json(fits, family, command)
        old = data["families"].get(family.value)
        if old is None or set(GRIDS) <= set(args.blocks):
            data["families"][family.value] = new
        else:  # merge: the blocks not fitted now keep their constants and the run they cite
            for block, entry in new["blocks"].items():
                old["blocks"][block] = {"run": new["run"], **entry}
        CALIBRATION.write_text(json.dumps(data, indent=1) + "\n")
        res.calibration.cache_clear()
        print(f"\nwrote {CALIBRATION}")
    if args.tfc:  # with the committed constants (just written, with --write)
        print()
        print(tfc_table(family, Path(args.cache)))


ABOUT = (
    "Fitted constants of the block resource models (streamfold.cost.resources), per family, "
    "block and resource, with the run that produced them and the error at every point "
    "(estimated vs Yosys; set 'calibration' was used for fitting, 'held-out' was not). "
    "Regenerate with bench/calibrate.py --write."
)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--synth-only"]:
        synthesize_grid(Family(sys.argv[2]), Path(sys.argv[3]), sys.argv[4:] or list(GRIDS))
    else:
        main()
