"""Whole-design resource estimates against Yosys on held-out designs (none is in the calibration).

    .venv/bin/python bench/heldout_designs.py [--family xilinx7 ecp5] [--cache build/heldout]
        [--designs NAME ...] [--workers N | --address RAY_ADDRESS | --serial]

Builds each design (network + folding + memory style; the networks are untrained and seeded, so
the constants are random), synthesises the generated top with Yosys (``synth_xilinx`` or
``synth_ecp5``, no DSP mapping, as the calibration) as parallel jobs on Ray
(``streamfold.synth.sweep``), and prints per design the estimate (``streamfold.cost``) against
Yosys for LUT, FF, LUTRAM and BRAM, with the error and whether it is inside the bar (LUT and FF
within 10 %, LUTRAM and BRAM exact). Synthesis results are cached beside each build by the
hash of its manifest, so a rerun synthesises only what changed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from calibrate import pct_error, tfc_graph  # bench/calibrate.py: the same TFC and error
from streamfold.codegen.top import write_build
from streamfold.cost import design_cost
from streamfold.cost.devices import DEVICES, Family
from streamfold.design import stitch
from streamfold.dse.design_point import DesignPoint, folding_preset, with_fifos
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export
from streamfold.hw.block import MemStyle
from streamfold.ir.graph import Graph
from streamfold.ir.ops import Mvau
from streamfold.synth.sweep import run_sweep, synthesize_build_cached
from streamfold.zoo import reference_graph

SEED = 0
BARS = {"lut": 10.0, "ff": 10.0, "lutram": 0.0, "bram": 0.0}


def small_cnn(weight_bits: int, act_bits: int) -> Graph:
    """``streamfold.models.small_cnn`` on 1x28x28 (the Fashion-MNIST CNN's shape), untrained."""
    from streamfold.models import small_cnn as cnn_model

    torch.manual_seed(SEED)
    model = cnn_model(weight_bits, act_bits).train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(16, 1, 28, 28))
    return to_kernels(export(model.eval(), (1, 28, 28)))


def mvau_folding(
    pe_simd: tuple[tuple[int, int], ...], style: MemStyle
) -> Callable[[Graph], DesignPoint]:
    """A design point with the matrix units at ``pe_simd`` (in graph order), the rest folded
    to match (as ``cycles=N`` with N the slowest unit's cycles)."""

    def point(graph: Graph) -> DesignPoint:
        units = [n.name for n in graph.nodes if isinstance(n.op, Mvau)]
        if len(units) != len(pe_simd):
            raise ValueError(f"{len(units)} matrix units, {len(pe_simd)} foldings given")
        base = folding_preset(graph, "folded", style)
        chosen = dict(base.nodes)
        for name, (pe, simd) in zip(units, pe_simd, strict=True):
            chosen[name] = replace(chosen[name], pe=pe, simd=simd, mem_style=style)
        return with_fifos(graph, DesignPoint(tuple((n.name, chosen[n.name]) for n in graph.nodes)))

    return point


def preset(name: str, style: MemStyle) -> Callable[[Graph], DesignPoint]:
    return lambda graph: folding_preset(graph, name, style)


@dataclass(frozen=True)
class Design:
    name: str
    graph: Callable[[], Graph]
    point: Callable[[Graph], DesignPoint]
    folding: str  # as printed


D, B = MemStyle.DISTRIBUTED, MemStyle.BLOCK
DESIGNS = (
    Design(
        "TFC-W1A1",
        lambda: tfc_graph(1, 1),
        mvau_folding(((32, 28), (1, 64), (1, 64), (1, 16)), D),
        "PE/SIMD 32/28, 1/64, 1/64, 1/16, distributed",
    ),
    Design(
        "TFC-W1A1",
        lambda: tfc_graph(1, 1),
        mvau_folding(((16, 49), (8, 8), (8, 8), (10, 8)), B),
        "PE/SIMD 16/49, 8/8, 8/8, 10/8, block",
    ),
    Design("TFC-W2A2", lambda: tfc_graph(2, 2), preset("balanced", D), "balanced, distributed"),
    Design("TFC-W1A2", lambda: tfc_graph(1, 2), preset("cycles=64", D), "cycles=64, distributed"),
    Design("TFC-W2A2", lambda: tfc_graph(2, 2), preset("cycles=512", B), "cycles=512, block"),
    Design("CNN-W2A2", lambda: small_cnn(2, 2), preset("folded", D), "folded, distributed"),
    Design("CNN-W4A4", lambda: small_cnn(4, 4), preset("balanced", D), "balanced, distributed"),
    Design("CNN-W1A1", lambda: small_cnn(1, 1), preset("cycles=3136", B), "cycles=3136, block"),
    Design(
        "peaks-W2A2",
        lambda: to_kernels(reference_graph("peaks-w2a2")),
        preset("cycles=640", D),
        "cycles=640, distributed",
    ),
    Design(
        "peaks-W4A4",
        lambda: to_kernels(reference_graph("peaks-w4a4")),
        preset("cycles=1280", D),
        "cycles=1280, distributed",
    ),
    Design(
        "peaks-W8A8",
        lambda: to_kernels(reference_graph("peaks-w8a8")),
        preset("cycles=640", B),
        "cycles=640, block",
    ),
    Design(
        "CNV-W1A1",
        lambda: to_kernels(reference_graph("cnv-w1a1")),
        preset("folded", B),
        "folded, block",
    ),
)


def slug(d: Design) -> str:
    keep = "".join(c if c.isalnum() else "_" for c in f"{d.name}_{d.folding}")
    return keep.strip("_").lower()


def _job(job: tuple[str, str]) -> dict[str, int]:
    build, family = job
    return synthesize_build_cached(Path(build), Family(family)).to_json()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--family", nargs="+", default=["xilinx7"], choices=[f.value for f in Family])
    p.add_argument("--cache", default="build/heldout", help="builds and synthesis results")
    p.add_argument("--designs", nargs="*", help="only designs whose name contains one of these")
    p.add_argument("--workers", type=int, help="parallel Yosys runs (default: one per core)")
    p.add_argument("--address", help="a Ray cluster's address (default: start one locally)")
    p.add_argument("--serial", action="store_true", help="one Yosys run at a time, no Ray")
    args = p.parse_args()
    cache = Path(args.cache).resolve()
    chosen = [d for d in DESIGNS if not args.designs or any(s in slug(d) for s in args.designs)]
    builds: dict[str, tuple[Design, Any]] = {}
    for d in chosen:
        graph = d.graph()
        design = stitch(graph, d.point(graph))
        out = write_build(design, cache / slug(d))
        builds[str(out)] = (d, design)
    families = [Family(f) for f in args.family]
    jobs = [(b, f.value) for f in families for b in builds]
    start = time.time()
    done = run_sweep(
        _job,
        jobs,
        address=args.address,
        workers=args.workers,
        serial=args.serial,
        progress=lambda n, t, j: print(f"  {n}/{t} {j[1]} {Path(j[0]).name}", file=sys.stderr),
    )
    print(f"{len(jobs)} syntheses, {time.time() - start:.0f} s (cached ones are instant)\n")
    measured = dict(zip(jobs, done, strict=True))
    for family in families:
        dev = next(d for d in DEVICES.values() if d.family is family)
        print(f"Yosys synth_{'ecp5' if family is Family.ECP5 else 'xilinx'} ({family.value}):\n")
        print("| design | folding | LUT est/Yosys | FF est/Yosys | LUTRAM | BRAM | in bars |")
        print("|---|---|---:|---:|---:|---:|:--:|")
        inside = 0
        for build, (d, design) in builds.items():
            est = design_cost.estimate_design(design, dev, dev.clock_mhz).total.to_json()
            got = measured[(build, family.value)]
            cells, ok = [], True
            for r in ("lut", "ff", "lutram", "bram"):
                err = pct_error(est[r], got[r])
                ok &= abs(err) <= BARS[r] + 1e-9
                cells.append(f"{est[r]}/{got[r]} ({err:+.1f} %)" if r in ("lut", "ff") else
                             f"{est[r]}/{got[r]}")  # fmt: skip
            inside += ok
            print(f"| {d.name} | {d.folding} | {' | '.join(cells)} | {'yes' if ok else 'no'} |")
        print(f"\n{inside} of {len(builds)} designs inside every bar\n")


if __name__ == "__main__":
    main()
