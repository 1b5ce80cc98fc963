"""Roofline of a device at a precision, design points on it, and FINN-R's precision analysis.

FINN-R (Blott et al., TRETS 2018, section 5) bounds a dataflow accelerator by two roofs:

- compute: ``LUT budget / LUTs per MAC`` MACs per cycle at the clock, 2 ops per MAC. LUTs per
  MAC at weight / activation bits (W, A) come from streamfold's calibrated MVAU model
  (``hw/mvau/cost.py``): the marginal LUTs of one more PE x SIMD lane, between two foldings of a
  reference layer with its weights in block RAM (so a lane's cost is its product, adder-tree and
  comparator logic, not its weights). The smallest marginal cost over SIMD-wise and PE-wise
  growth is used, so the roof is an upper bound. DSPs are not counted by default: streamfold
  synthesises with ``-nodsp``; ``dsp=True`` adds one MAC per DSP slice per cycle.
- memory: a network whose weights do not fit on chip (block RAM + LUT RAM bits) streams them
  from off-chip memory once per frame (batch 1), so it runs at most at ``bandwidth x
  operational intensity`` ops/s, the intensity being ops per weight byte. Weights that fit on
  chip are read from on-chip memories each cycle and only the compute roof applies.

``recommend_precisions`` ranks precisions by the attainable ops/s of a network's topology
(its MACs and weights per frame, from any precision's kernel graph) on a device.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from streamfold.cost.devices import Device
from streamfold.dse.search import DEFAULT_LUT_CAP, Choice
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.mvau import cost as mvau_cost
from streamfold.hw.mvau.params import MvauParams
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.graph import Graph
from streamfold.ir.intervals import dot_interval
from streamfold.ir.ops import IntArray, Mvau

# Precisions FINN-R's analysis compares (weight bits, activation bits).
PRECISIONS: tuple[tuple[int, int], ...] = (
    (1, 1),
    (1, 2),
    (2, 2),
    (2, 4),
    (4, 4),
    (4, 8),
    (8, 8),
)

# The reference layer the marginal LUTs per lane are measured on, and the foldings compared.
_REF_IN, _REF_OUT = 256, 64
_SMALL = NodeFolding(pe=4, simd=16, mem_style=MemStyle.BLOCK)
_WIDE_SIMD = NodeFolding(pe=4, simd=32, mem_style=MemStyle.BLOCK)
_WIDE_PE = NodeFolding(pe=8, simd=16, mem_style=MemStyle.BLOCK)


def _dtype(bits: int) -> IntType:
    """1 bit: bipolar (FINN's binarised layers); more: signed."""
    return IntType(1, True, bipolar=True) if bits == 1 else IntType(bits, True)


def _act_dtype(bits: int) -> IntType:
    """1 bit: bipolar; more: unsigned (FINN's ReLU-like quantised activations)."""
    return IntType(1, True, bipolar=True) if bits == 1 else IntType(bits, False)


def reference_layer(weight_bits: int, act_bits: int, seed: int = 0) -> MvauParams:
    """A 256-input, 64-output thresholded MVAU with random weights at these bit widths."""
    rng = np.random.default_rng(seed)
    w_t, x_t = _dtype(weight_bits), _act_dtype(act_bits)
    if w_t.bipolar:
        weights = rng.choice([-1, 1], size=(_REF_OUT, _REF_IN))
    else:
        weights = rng.integers(w_t.min, w_t.max + 1, size=(_REF_OUT, _REF_IN))
    lo, hi = dot_interval(weights, x_t.min, x_t.max)
    acc = narrowest(lo, hi)
    levels = x_t.levels - 1
    thresholds = np.sort(rng.integers(lo, hi + 1, size=(_REF_OUT, levels)), axis=1)
    return MvauParams(
        _REF_IN, _REF_OUT, x_t, w_t, acc, x_t, IntArray(weights), IntArray(thresholds)
    )


@functools.cache
def luts_per_mac(weight_bits: int, act_bits: int, device: Device) -> float:
    """Marginal LUTs of one PE x SIMD lane (one MAC per cycle) at these bit widths on the
    device's family (module docstring), at least 1."""
    params = reference_layer(weight_bits, act_bits)
    base = mvau_cost.resources(params, _SMALL, device.family).lut
    lanes = _SMALL.pe * _SMALL.simd
    costs = []
    for wide in (_WIDE_SIMD, _WIDE_PE):
        extra = mvau_cost.resources(params, wide, device.family).lut - base
        costs.append(extra / (wide.pe * wide.simd - lanes))
    return max(1.0, min(costs))


@dataclass(frozen=True)
class Roof:
    """The roofline of ``device`` at (weight_bits, act_bits) and ``clock_mhz``."""

    device: Device
    weight_bits: int
    act_bits: int
    clock_mhz: float
    luts_per_mac: float
    compute_ops: float  # ops/s (2 per MAC)
    bandwidth: float | None  # off-chip bytes/s; None when unknown

    def memory_ops(self, intensity: float) -> float | None:
        """The memory roof at ``intensity`` ops per weight byte (None: bandwidth unknown)."""
        return None if self.bandwidth is None else self.bandwidth * intensity

    def attainable(self, intensity: float, weights_on_chip: bool) -> float:
        """Ops/s attainable: the compute roof, and the memory roof when the weights must
        stream from off-chip (an unknown bandwidth counts as no bound)."""
        memory = None if weights_on_chip else self.memory_ops(intensity)
        return self.compute_ops if memory is None else min(self.compute_ops, memory)


def roof(
    device: Device,
    weight_bits: int,
    act_bits: int,
    clock_mhz: float,
    lut_cap: float = DEFAULT_LUT_CAP,
    dsp: bool = False,
) -> Roof:
    """The roofline of ``device`` at a precision (module docstring)."""
    per_mac = luts_per_mac(weight_bits, act_bits, device)
    macs_per_cycle = device.luts * lut_cap / per_mac + (device.dsps if dsp else 0)
    bandwidth = None if device.mem_gbytes_per_s is None else device.mem_gbytes_per_s * 1e9
    return Roof(
        device,
        weight_bits,
        act_bits,
        clock_mhz,
        per_mac,
        2 * macs_per_cycle * clock_mhz * 1e6,
        bandwidth,
    )


@dataclass(frozen=True)
class Workload:
    """What a network needs per frame, independent of its precision."""

    macs: int  # multiply-accumulates per frame
    weights: int  # weight count

    @property
    def ops(self) -> int:
        return 2 * self.macs

    def weight_bytes(self, weight_bits: int) -> float:
        return self.weights * weight_bits / 8

    def intensity(self, weight_bits: int) -> float:
        """Ops per weight byte when every weight is read once per frame."""
        return self.ops / self.weight_bytes(weight_bits)


def workload(graph: Graph) -> Workload:
    """MACs and weights per frame of a kernel graph's matrix-vector layers."""
    macs = weights = 0
    for node in graph.nodes:
        if isinstance(node.op, Mvau):
            out_f, in_f = node.op.weight.shape
            shape = graph.value(node.inputs[0]).shape
            pixels = int(np.prod(shape[1:])) if node.op.per_pixel else 1
            macs += pixels * out_f * in_f
            weights += out_f * in_f
    return Workload(macs, weights)


def on_chip_bits(device: Device) -> int:
    """Bits of weight storage on chip: block RAM and LUT RAM (64 bits per LUT6)."""
    return device.bram_kbits * 1024 + device.lutram * 64


@dataclass(frozen=True)
class DesignOnRoof:
    """A design point placed on the roofline: its intensity and achieved ops/s."""

    intensity: float
    ops_per_second: float
    attainable: float  # the roof above it

    @property
    def efficiency(self) -> float:
        return self.ops_per_second / self.attainable


def place(choice: Choice, work: Workload, r: Roof) -> DesignOnRoof:
    """``choice`` on the roofline ``r``: ops per frame x frames/s, under the roof at the
    network's intensity (its weights are on chip: it fits the device)."""
    intensity = work.intensity(r.weight_bits)
    return DesignOnRoof(
        intensity, work.ops * choice.frames_per_second, r.attainable(intensity, True)
    )


@dataclass(frozen=True)
class Recommendation:
    weight_bits: int
    act_bits: int
    roof: Roof
    weights_on_chip: bool
    attainable_ops: float
    frames_per_second: float  # attainable ops/s / ops per frame


def recommend_precisions(
    graph: Graph,
    device: Device,
    clock_mhz: float | None = None,
    precisions: tuple[tuple[int, int], ...] = PRECISIONS,
    lut_cap: float = DEFAULT_LUT_CAP,
) -> tuple[Recommendation, ...]:
    """Precisions ranked by the attainable ops/s of ``graph``'s topology on ``device``, best
    first (FINN-R's precision analysis); ties keep the order of ``precisions``."""
    clock = device.clock_mhz if clock_mhz is None else clock_mhz
    work = workload(graph)
    out = []
    for w, a in precisions:
        r = roof(device, w, a, clock, lut_cap)
        fits = work.weights * w <= on_chip_bits(device)
        ops = r.attainable(work.intensity(w), fits)
        out.append(Recommendation(w, a, r, fits, ops, ops / work.ops))
    return tuple(sorted(out, key=lambda x: -x.attainable_ops))


def precision_table(recs: tuple[Recommendation, ...]) -> str:
    """The ranking as plain text."""
    rows = [
        f"{'W/A':>5}{'LUT/MAC':>9}{'compute Gop/s':>15}{'weights':>10}"
        f"{'attainable Gop/s':>18}{'frames/s':>12}"
    ]
    for rec in recs:
        where = "on chip" if rec.weights_on_chip else "off chip"
        rows.append(
            f"{rec.weight_bits:>3}/{rec.act_bits:<1}{rec.roof.luts_per_mac:>9.1f}"
            f"{rec.roof.compute_ops / 1e9:>15,.1f}{where:>10}"
            f"{rec.attainable_ops / 1e9:>18,.1f}{rec.frames_per_second:>12,.0f}"
        )
    return "\n".join(rows)
