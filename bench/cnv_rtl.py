"""CNV at FINN's Pynq-Z1 folding, simulated in Verilator: bit-exact check, predicted vs measured.

    .venv/bin/python bench/cnv_rtl.py --name cnv-w1a1 --frames 3
    .venv/bin/python bench/cnv_rtl.py --point max-fps --synth --out build/cnv-maxfps

``--point max-fps``: the design ``explore --goal max-fps`` picks on the xc7z020 at 100 MHz
(``dse.search.max_fps``, 70 % LUT cap) instead of FINN's folding. ``--synth``: the build
through Yosys ``synth_xilinx`` for the xc7z020 (flat; minutes to tens of minutes), its
resources against the estimate and the part. ``--ecp5``: the build through Yosys ``synth_ecp5``
and nextpnr-ecp5 on LFE5U-85F (timing-driven at 125 MHz, streams registered at the pins, with a
bitstream; about 10-60 minutes): measured Fmax and critical path against the Fmax model.

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
from streamfold.cost.design_cost import estimate_design
from streamfold.cost.devices import device
from streamfold.cost.fmax import design_fmax
from streamfold.design import Design
from streamfold.dse.finn import CNV_PYNQ, finn_point
from streamfold.dse.search import max_fps
from streamfold.flow import to_kernels
from streamfold.sim.design import simulate_build
from streamfold.sim.exact import run_single
from streamfold.simulate import random_inputs
from streamfold.synth.implement import implement_build
from streamfold.synth.resources import utilisation
from streamfold.synth.yosys import synthesize_build
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
    p.add_argument("--point", choices=("finn", "max-fps"), default="finn")
    p.add_argument("--synth", action="store_true", help="also Yosys synth_xilinx (xc7z020)")
    p.add_argument("--ecp5", action="store_true", help="also Yosys + nextpnr on LFE5U-85F")
    p.add_argument(
        "--seeds", type=int, default=3, help="ECP5: placement seeds to try (from 1; default 3)"
    )
    args = p.parse_args()

    t0 = time.perf_counter()
    graph = to_kernels(reference_graph(args.name))
    dev = device("xc7z020")
    if args.point == "finn":
        point, folding = finn_point(graph, CNV_PYNQ), f"FINN Pynq-Z1 folding {list(CNV_PYNQ)}"
    else:
        choice = max_fps(graph, dev, CLOCK_MHZ)
        point, folding = choice.point, "explore --goal max-fps, xc7z020, 100 MHz"
    design = stitch(graph, point)
    full = estimate_design(design, dev, CLOCK_MHZ)  # its .pipeline: cycles and latency
    est, whole = full.pipeline, full.total
    t_lower = time.perf_counter() - t0
    x = random_inputs(graph, args.frames, seed=0)
    expected = run_single(graph, x).reshape(args.frames, -1)

    with tempfile.TemporaryDirectory(dir="build" if Path("build").is_dir() else None) as tmp:
        out_dir = write_build(design, args.out or Path(tmp) / "cnv")
        t0 = time.perf_counter()
        got, run = simulate_build(out_dir, x, stall_in=args.stall, stall_out=args.stall, seed=1)
        t_sim = time.perf_counter() - t0
        exact = bool(np.array_equal(got, expected))
        print(f"# {args.name}, {folding}")
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
        print(f"| simulated cycles per second | {run.sim_cycles_per_second:,.0f} | - |", flush=True)
        if args.synth:
            synth = synthesize_build(out_dir, dev.family, timeout_s=4 * 3600)
            r = synth.resources
            for u, e in zip(
                utilisation(r, dev),
                (whole.lut, whole.ff, whole.lutram, whole.bram, whole.dsp),
                strict=True,
            ):
                print(
                    f"| {u.resource}, Yosys synth_xilinx (estimate) | {u.used:,} ({e:,}; "
                    f"{u.used / max(u.available, 1):.1%} of {dev.name}) | - |"
                )
            fits = all(u.used <= u.available for u in utilisation(r, dev))
            print(f"| fits {dev.name} (Yosys) | {fits} ({synth.seconds:.0f} s) | - |")
        if args.ecp5:
            ecp5_run(design, out_dir, seeds=args.seeds)
    if not exact:
        raise SystemExit("RTL outputs differ from the reference")


def ecp5_run(design: Design, out_dir: Path, target_mhz: float = 125.0, seeds: int = 3) -> None:
    """Yosys synth_ecp5 + nextpnr-ecp5 (timing-driven at ``target_mhz``, up to ``seeds``
    placements until one meets it) on LFE5U-85F."""
    dev = device("lfe5u-85f")
    predicted = design_fmax(design, dev)
    impl = implement_build(
        out_dir, dev, per_stage=False, bitstream=True, clock_mhz=target_mhz, register_io=True,
        seeds=seeds,
    )  # fmt: skip
    assert impl.pnr is not None
    r = impl.synth.resources
    print(f"| LFE5U-85F, Yosys synth_ecp5 | {r.lut:,} LUT4, {r.ff:,} FF, {r.bram} DP16KD | - |")
    if predicted is not None:
        print(
            f"| Fmax predicted (cost.fmax) | {predicted.fmax_mhz:.1f} MHz "
            f"({predicted.critical.stage}, {predicted.critical.kind.value}) | - |"
        )
    path = impl.pnr.critical_path
    tried = ", ".join(f"seed {s}: {f:.1f}" for s, f in impl.pnr.tried)
    print(
        f"| Fmax, nextpnr-ecp5 (target {target_mhz:g} MHz) | {impl.pnr.fmax_mhz:.1f} MHz "
        f"(seed {impl.pnr.seed}; tried {tried}) | - |"
    )
    print(f"| critical path | {path.summary() if path else '-'} | - |")


if __name__ == "__main__":
    main()
