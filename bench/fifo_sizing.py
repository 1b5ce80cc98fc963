"""FIFO sizing of residual and concatenating networks: analytic, in milliseconds, confirmed in
Verilator (bit-exact, cycles and latency measured against predicted).

    .venv/bin/python bench/fifo_sizing.py [--nets resnet concat] [--precision w2a2]
        [--preset folded]

For each network of tests/dag_nets.py (trained for a few steps on 8x8 digits): the time to
derive every FIFO depth in front of a join (``cost.fifo_sizing.with_sized_fifos``, from the
cycle model alone), the depths and their deadlock minimums, then the Verilator build and run
that confirms them: outputs == the exact reference, cycles/frame (once the pipeline has
settled: ``cost.estimate.first_steady``) and latency measured against predicted. FINN sizes
FIFOs by RTL simulation of the whole design (hours on large networks).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from cnn_nets import run_steady
from dag_nets import SHAPE, digits, trained
from streamfold.codegen.top import stitch, write_build
from streamfold.cost.estimate import estimate_pipeline
from streamfold.cost.fifo_sizing import size_fifos, with_sized_fifos
from streamfold.dse.design_point import folding_preset
from streamfold.flow import to_kernels
from streamfold.frontend.torch_fx import export_module, input_codes
from streamfold.sim.design import simulate_build
from streamfold.sim.exact import run_single


def bench(name: str, precision: str, preset: str, frames: int, out: Path) -> list[str]:
    model = trained(name, precision)
    graph = to_kernels(export_module(model, SHAPE))
    point = folding_preset(graph, preset)
    start = time.perf_counter()
    sized = with_sized_fifos(graph, point)
    sizing_ms = (time.perf_counter() - start) * 1e3
    design = stitch(graph, sized)
    est = estimate_pipeline(design)
    rows = [
        f"{name} {precision} {preset}: {len(graph.nodes)} kernels, {len(design.stages)} stages; "
        f"FIFO sizing {sizing_ms:.0f} ms"
    ]
    for f in size_fifos(design):
        where = "fork edge" if f.edge else "node fifo_depth"
        rows.append(f"  {f.key:<40} {where:<15} depth {f.depth:>5}  minimum {f.minimum:>5}")
    x, _ = digits(frames)
    codes = input_codes(model, x.numpy())
    reference = run_single(graph, codes).reshape(frames, -1)
    start = time.perf_counter()
    build = write_build(design, out / name)
    outputs, run = simulate_build(build, codes, stall_in=0.25, stall_out=0.25, seed=3)
    stalled_ok = np.array_equal(outputs, reference)
    outputs, run, first = run_steady(build, design, codes)
    sim_s = time.perf_counter() - start
    rows.append(
        f"  Verilator (build + 2 runs): {sim_s:.1f} s; bit-exact "
        f"(25 % stalls / none): {stalled_ok} / {np.array_equal(outputs, reference)}"
    )
    rows.append(
        f"  cycles/frame predicted {est.interval}, measured {run.cycles_per_frame_from(first):.1f}"
        f" from frame {first} ({run.cycles_per_frame:.1f} from frame 0); latency predicted "
        f"{est.latency}, measured {run.latency_offered} (from the first input word offered)"
    )
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--nets", nargs="+", default=["resnet", "concat"])
    p.add_argument("--precision", default="w2a2", choices=["w2a2", "w4a4"])
    p.add_argument("--frames", type=int, default=4)
    p.add_argument("--preset", default="folded", help="folding preset (folded, balanced, ...)")
    args = p.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_version()}, {time.strftime('%F')}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.nets:
            rows = bench(name, args.precision, args.preset, args.frames, Path(tmp))
            print("\n".join(rows))


if __name__ == "__main__":
    main()
