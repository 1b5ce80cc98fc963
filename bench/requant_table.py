"""Thresholds vs multiply-shift for one Requantize, 2 to 8 output bits: the resource models, what
the lowering chooses, and (with --yosys) Yosys synth_xilinx for a few points.

    .venv/bin/python bench/requant_table.py [--channels 16] [--family xilinx7] [--yosys 2 4 8]
        [--fused]

The Requantize reads an i16 accumulator (a layer's dot products) with per-channel dyadic scales
of 16-bit multipliers (the Requantizer's ``multiplier_bits``), scaled so the accumulator's range
spans the output's. Each lowering is priced at PE 1 in its cheapest memory style
(``streamfold.dse.requantize``); "LUT eq." is ``lut_equivalent``. Yosys points synthesise the
standalone blocks (``hw/thresholding``, ``hw/mulshift``) in that style, one run at a time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from streamfold.cost.devices import Family
from streamfold.dse.requantize import cheaper_lowering, lowering_costs, lut_equivalent
from streamfold.hw.block import MemStyle, NodeFolding, RtlInstance
from streamfold.hw.mulshift import cost as mulshift_cost
from streamfold.hw.mulshift.params import MulShiftParams
from streamfold.hw.mulshift.rtl import instance as mulshift_instance
from streamfold.hw.thresholding import cost as thresholding_cost
from streamfold.hw.thresholding.params import ThresholdingParams
from streamfold.hw.thresholding.rtl import instance as thresholding_instance
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node, Value
from streamfold.ir.ops import MulShift, MultiThreshold, Requantize
from streamfold.synth.resources import Resources
from streamfold.transforms import Lowering, lower_requantize

ACC = IntType(16, True)
MULTIPLIER_BITS = 16


def requantize_graph(channels: int, bits: int, seed: int = 0) -> Graph:
    """x: i16[channels] -> Requantize -> u<bits>, dyadic per-channel scales."""
    rng = np.random.default_rng(seed)
    shift = MULTIPLIER_BITS - 2 + 16 - bits  # mul * 2**15 spans about 2**bits
    mul = tuple(Fraction(int(m), 1 << shift) for m in rng.integers(1 << 14, 1 << 15, channels))
    add = tuple(Fraction(int(a), 16) for a in rng.integers(-16 << bits, 16 << bits, channels))
    out = IntType(bits, False)
    node = Node("rq", Requantize(mul, add), ("x",), Value("y", out, (channels,)))
    return Graph("nn", (Value("x", ACC, (channels,)),), (node,), ("y",))


def row(r: Resources, family: Family) -> str:
    return f"{r.lut} | {r.ff} | {r.lutram} | {r.bram} | {r.dsp} | {lut_equivalent(r, family):.0f}"


def model_table(channels: int, family: Family) -> str:
    lines = [
        "| bits | thresholds LUT | FF | LUTRAM | BRAM | DSP | LUT eq. | multiply-shift LUT | FF "
        "| LUTRAM | BRAM | DSP | LUT eq. | chosen |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    choose = cheaper_lowering(family)
    for bits in range(2, 9):
        g = requantize_graph(channels, bits)
        node = g.nodes[0]
        costs = lowering_costs(g, node, family)
        how = choose(g, node)
        lines.append(
            f"| {bits} | {row(costs[Lowering.THRESHOLDS], family)} | "
            f"{row(costs[Lowering.MULSHIFT], family)} | {how.value} |"
        )
    return "\n".join(lines)


def instances(channels: int, bits: int) -> tuple[RtlInstance, RtlInstance, Resources, Resources]:
    """The two standalone blocks (distributed, PE 1) and their model resources (xilinx7)."""
    g = requantize_graph(channels, bits)
    folding = NodeFolding(pe=1, mem_style=MemStyle.DISTRIBUTED)
    out = g.nodes[0].output.dtype
    thr = lower_requantize(g, Lowering.THRESHOLDS).nodes[0].op
    ms = lower_requantize(g, Lowering.MULSHIFT).nodes[0].op
    assert isinstance(thr, MultiThreshold) and isinstance(ms, MulShift)
    tp = ThresholdingParams(channels, ACC, out, thr.thresholds)
    mp = MulShiftParams(channels, ACC, out, ms.multiplier, ms.bias, ms.shift)
    fam = Family.XILINX7
    return (
        thresholding_instance(tp, folding, "thr"),
        mulshift_instance(mp, folding, "ms"),
        thresholding_cost.resources(tp, folding, fam),
        mulshift_cost.resources(mp, folding, fam),
    )


def yosys_table(channels: int, points: list[int]) -> str:
    from streamfold.synth.yosys import synthesize_instance

    lines = [
        "| bits | block | LUT model / Yosys | FF model / Yosys | LUTRAM | BRAM | Yosys s |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for bits in points:
        thr, ms, thr_model, ms_model = instances(channels, bits)
        for name, inst, model in (("thresholds", thr, thr_model), ("multiply-shift", ms, ms_model)):
            with tempfile.TemporaryDirectory() as work:
                start = time.time()
                got = synthesize_instance(inst, Family.XILINX7, Path(work)).resources
                seconds = time.time() - start
            print(f"  {bits}-bit {name}: {seconds:.0f} s", file=sys.stderr, flush=True)
            lines.append(
                f"| {bits} | {name} | {model.lut} / {got.lut} | {model.ff} / {got.ff} | "
                f"{model.lutram} / {got.lutram} | {model.bram} / {got.bram} | {seconds:.0f} |"
            )
    return "\n".join(lines)


def fused_table() -> str:
    """A 64 -> 32 MVAU (u8 x i4, PE 2, SIMD 4, distributed) with the fused multiply-shift stage
    (u8 output, 16-bit multipliers) and streaming its accumulator: model / Yosys."""
    from dataclasses import replace

    from streamfold.hw.mvau import cost as mvau_cost
    from streamfold.hw.mvau.params import MvauParams
    from streamfold.hw.mvau.rtl import instance as mvau_instance
    from streamfold.ir.dtypes import narrowest
    from streamfold.ir.intervals import dot_interval
    from streamfold.ir.ops import IntArray
    from streamfold.synth.yosys import synthesize_instance

    rng = np.random.default_rng(0)
    x, w_t, out = IntType(8, False), IntType(4, True), IntType(8, False)
    w = rng.integers(-8, 8, (32, 64))
    acc = narrowest(*dot_interval(w, x.min, x.max))
    m = tuple(int(v) for v in rng.integers(1 << 14, 1 << 15, 32))
    b = tuple(int(v) for v in rng.integers(-(1 << 28), 1 << 28, 32))
    fused = MvauParams(64, 32, x, w_t, acc, out, IntArray(w), None, 1, m, b, (24,))
    plain = replace(fused, multiplier=(), bias=(), shift=(), out_dtype=acc)
    folding = NodeFolding(pe=2, simd=4, mem_style=MemStyle.DISTRIBUTED)
    lines = ["| MVAU output stage | LUT | FF | LUTRAM | BRAM |", "|---|---:|---:|---:|---:|"]
    for name, params in (("multiply-shift (fused)", fused), ("accumulator only", plain)):
        est = mvau_cost.resources(params, folding, Family.XILINX7)
        with tempfile.TemporaryDirectory() as work:
            inst = mvau_instance(params, folding, "mv")
            got = synthesize_instance(inst, Family.XILINX7, Path(work)).resources
        lines.append(
            f"| {name} | {est.lut} / {got.lut} | {est.ff} / {got.ff} | "
            f"{est.lutram} / {got.lutram} | {est.bram} / {got.bram} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--family", default="xilinx7", choices=[f.value for f in Family])
    p.add_argument("--yosys", type=int, nargs="*", default=[], help="output bits to synthesise")
    p.add_argument("--fused", action="store_true", help="synthesise a fused MVAU (model / Yosys)")
    args = p.parse_args()
    family = Family(args.family)
    print(f"Requantize of i16 -> u<bits>, {args.channels} channels, models on {family.value}\n")
    print(model_table(args.channels, family))
    if args.yosys:
        print("\nYosys synth_xilinx (-nodsp), standalone blocks, PE 1, distributed\n")
        print(yosys_table(args.channels, args.yosys))
    if args.fused:
        print("\nYosys synth_xilinx (-nodsp): an MVAU with the fused multiply-shift stage\n")
        print(fused_table())


if __name__ == "__main__":
    main()
