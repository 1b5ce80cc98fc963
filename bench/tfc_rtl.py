"""TFC-W1A1 at FINN's Pynq-Z1 folding, simulated in Verilator: predicted vs measured cycles.

    .venv/bin/python bench/tfc_rtl.py --data ../shared/data/mnist --frames 1000

FINN's folding (PE/SIMD 16/49, 8/8, 8/8, 10/8) gives 64 cycles per frame, 1.56 M frames/s at
100 MHz. Prints the predicted and measured cycles per frame, latency, and simulation speed,
without stalls and with 25 % random stalls on both sides.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from streamfold.codegen.top import stitch, write_build
from streamfold.cost.estimate import estimate_pipeline
from streamfold.data import load_mnist
from streamfold.dse.design_point import DesignPoint, folding_preset
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.hw.block import NodeFolding
from streamfold.models import tfc
from streamfold.sim.design import simulate_build
from streamfold.sim.exact import run_single
from streamfold.training import TrainConfig, fit

FINN_PYNQ = [(16, 49), (8, 8), (8, 8), (10, 8)]  # (PE, SIMD) per layer, FINN's TFC-W1A1 on Pynq-Z1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="../shared/data/mnist")
    p.add_argument("--frames", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=1)
    args = p.parse_args()
    train, test = load_mnist(args.data)
    torch.manual_seed(0)
    model = tfc(1, 1)
    fit(model, train.x, train.y, TrainConfig(epochs=args.epochs, progress=False))
    graph = to_kernels(export(model, (784,)))
    base = folding_preset(graph, "folded")  # FIFO depths: one frame of output words
    nodes = []
    for (name, _), (pe, simd) in zip(base.nodes, FINN_PYNQ, strict=True):
        words = graph.node(name).output.size // pe
        nodes.append((name, replace(NodeFolding(pe=pe, simd=simd), fifo_depth=max(2, words))))
    point = DesignPoint(tuple(nodes))
    design = stitch(graph, point)
    est = estimate_pipeline(design)
    x = input_codes(model, test.x[: args.frames])
    expected = run_single(graph, x)
    print(f"# TFC-W1A1, FINN Pynq-Z1 folding {FINN_PYNQ}, {args.frames} MNIST test frames")
    print(f"# {platform.machine()}, {time.strftime('%Y-%m-%d')}")
    print(
        "| stalls | predicted cycles/frame | measured cycles/frame | error "
        "| latency (pred / meas) | frames/s at 100 MHz (meas) | sim speed (M cycles/s) "
        "| bit-exact |"
    )
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = write_build(design, Path(tmp) / "tfc")
        for stall in (0.0, 0.25):
            out, run = simulate_build(out_dir, x, stall_in=stall, stall_out=stall, seed=1)
            err = 100 * (run.cycles_per_frame - est.interval) / est.interval
            print(
                f"| {stall:g} | {est.interval} | {run.cycles_per_frame:.2f} | {err:+.2f} % "
                f"| {est.latency} / {run.latency_offered} | {100e6 / run.cycles_per_frame:,.0f} "
                f"| {run.sim_cycles_per_second / 1e6:.2f} | {bool(np.array_equal(out, expected))} |"
            )


if __name__ == "__main__":
    main()
