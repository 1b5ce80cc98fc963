"""CNV at FINN's Pynq-Z1 folding, simulated in Verilator: bit-exact check, predicted vs measured.

    .venv/bin/python bench/cnv_rtl.py --name cnv-w1a1 --frames 3

Builds FINN's CNV (seeded random weights, ``streamfold.zoo``) with FINN's published PE/SIMD per
matrix-vector layer (``dse.finn.CNV_PYNQ``: 32,768 cycles per frame, 3,052 frames/s predicted
at 100 MHz, 3,020 measured on a Pynq-Z1), writes the RTL, runs random 8-bit images through
Verilator and the exact reference, and prints the cycles per frame beside FINN's figures.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from streamfold.codegen.top import stitch, write_build
from streamfold.cost.estimate import estimate_pipeline
from streamfold.dse.finn import CNV_PYNQ, finn_point
from streamfold.flow import to_kernels
from streamfold.sim.design import simulate_build
from streamfold.sim.exact import run_single
from streamfold.simulate import random_inputs
from streamfold.zoo import reference_graph

FINN_PREDICTED_FPS = 3052
FINN_MEASURED_FPS = 3020
CLOCK_MHZ = 100.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--name", default="cnv-w1a1", help="builtin network (default cnv-w1a1)")
    p.add_argument("--frames", type=int, default=3)
    p.add_argument("--stall", type=float, default=0.0, help="random stall probability per side")
    p.add_argument("--out", type=Path, help="build directory (default: a temporary one)")
    args = p.parse_args()

    t0 = time.perf_counter()
    graph = to_kernels(reference_graph(args.name))
    point = finn_point(graph, CNV_PYNQ)
    design = stitch(graph, point)
    est = estimate_pipeline(design)
    t_lower = time.perf_counter() - t0
    x = random_inputs(graph, args.frames, seed=0)
    expected = run_single(graph, x).reshape(args.frames, -1)

    with tempfile.TemporaryDirectory(dir="build" if Path("build").is_dir() else None) as tmp:
        out_dir = write_build(design, args.out or Path(tmp) / "cnv")
        t0 = time.perf_counter()
        got, run = simulate_build(out_dir, x, stall_in=args.stall, stall_out=args.stall, seed=1)
        t_sim = time.perf_counter() - t0
    exact = bool(np.array_equal(got, expected))
    print(f"# {args.name}, FINN Pynq-Z1 folding (PE, SIMD) {list(CNV_PYNQ)}")
    print(
        f"# {args.frames} random frames, stall {args.stall:.0%}; {platform.machine()}, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    print()
    print("| quantity | streamfold | FINN (published) |")
    print("|---|---:|---:|")
    print(f"| cycles per frame, predicted | {est.interval:,} | 32,768 |")
    print(f"| cycles per frame, measured (Verilator) | {run.cycles_per_frame:,.1f} | - |")
    fps = CLOCK_MHZ * 1e6 / run.cycles_per_frame
    print(
        f"| frames/s at {CLOCK_MHZ:g} MHz | {fps:,.0f} (measured cycles) | "
        f"{FINN_PREDICTED_FPS:,} predicted, {FINN_MEASURED_FPS:,} on the board |"
    )
    lat = f"{est.latency:,} / {run.latency_offered:,}"
    print(f"| latency, cycles (predicted / measured) | {lat} | - |")
    print(f"| outputs equal to the reference | {exact} ({args.frames} frames) | - |")
    print(f"| export + lowering + stitching, s | {t_lower:.1f} | - |")
    print(f"| Verilator build + simulation, s | {t_sim:.1f} | - |")
    print(f"| simulated cycles per second | {run.sim_cycles_per_second:,.0f} | - |")
    if not exact:
        raise SystemExit("RTL outputs differ from the reference")


if __name__ == "__main__":
    main()
