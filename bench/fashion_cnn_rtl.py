"""The trained Fashion-MNIST CNNs (bench/train_cnn.py) in RTL: PyTorch == reference == Verilator.

    .venv/bin/python bench/train_cnn.py --threads 1            # trains, saves build/train_cnn
    .venv/bin/python bench/fashion_cnn_rtl.py --frames 100

For each saved quantized model: test top-1 of PyTorch eval and of the exact integer graph on
the whole test set (and whether every output code agrees), then the generated RTL at a folding
preset on ``--frames`` test images in Verilator with 25 % random stalls (outputs compared bit
for bit) and without (measured cycles per frame against predicted).
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import torch

from streamfold.codegen.top import stitch, write_build
from streamfold.cost.estimate import estimate_pipeline
from streamfold.data import FASHION_MNIST_DIR, load_fashion_mnist
from streamfold.dse.design_point import folding_preset
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.ir.text import print_graph
from streamfold.sim.design import simulate_build
from streamfold.sim.exact import dequantize, run_single

HERE = Path(__file__).resolve().parent


def _train_cnn() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_cnn", HERE / "train_cnn.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=FASHION_MNIST_DIR)
    p.add_argument("--models", default="build/train_cnn", help="train_cnn.py's --out")
    p.add_argument("--precisions", default="W4A4,W2A2")
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--folding", default="balanced")
    args = p.parse_args()
    bench = _train_cnn()
    _, test = load_fashion_mnist(args.data)
    images = test.x.reshape(-1, 1, 28, 28)
    print(
        f"# Fashion-MNIST small CNN, folding {args.folding}, {args.frames} RTL frames; "
        f"{platform.machine()}, {time.strftime('%Y-%m-%d')}"
    )
    print()
    print(
        "| precision | PyTorch top-1 | integer graph top-1 | codes equal (10,000 images) | "
        "RTL == reference | cycles/frame predicted | measured | error |"
    )
    print("|---|---:|---:|---|---|---:|---:|---:|")
    for precision in args.precisions.split(","):
        model = bench.load(Path(args.models) / f"small_cnn_{precision}.pt")
        with torch.no_grad():
            expected = torch.cat(
                [
                    model(torch.from_numpy(images[i : i + 1000])).exact.codes
                    for i in range(0, len(images), 1000)
                ]
            ).numpy()
        nn_graph = export(model, (1, 28, 28))
        # the integer graph beside the model, for `streamfold build/estimate/synth`
        (Path(args.models) / f"small_cnn_{precision}.sfir").write_text(print_graph(nn_graph))
        graph = to_kernels(nn_graph)
        codes = input_codes(model, images)
        reference = run_single(graph, codes)
        same = bool(np.array_equal(reference, expected))
        scale = dict(graph.scales).get(graph.outputs[0])  # the final BatchNorm's, per class
        with torch.no_grad():
            logits = torch.cat(
                [model(torch.from_numpy(images[i : i + 1000])) for i in range(0, len(images), 1000)]
            ).numpy()
        top_torch = 100 * float(np.mean(logits.argmax(1) == test.y))
        top_graph = 100 * float(np.mean(dequantize(reference, scale).argmax(1) == test.y))
        design = stitch(graph, folding_preset(graph, args.folding))
        predicted = estimate_pipeline(design).interval
        n = args.frames
        with tempfile.TemporaryDirectory() as tmp:
            build = write_build(design, Path(tmp) / "cnn")
            stalled, _ = simulate_build(build, codes[:n], stall_in=0.25, stall_out=0.25, seed=1)
            free, run = simulate_build(build, codes[:n])
        rtl_ok = bool(
            np.array_equal(stalled, reference[:n]) and np.array_equal(free, reference[:n])
        )
        err = 100 * (run.cycles_per_frame - predicted) / predicted
        print(
            f"| {precision} | {top_torch:.2f} % | {top_graph:.2f} % | {same} | {rtl_ok} "
            f"({n} frames) | {predicted:,} | {run.cycles_per_frame:,.1f} | {err:+.2f} % |"
        )
        if not (same and rtl_ok):
            raise SystemExit(f"{precision}: outputs differ")


if __name__ == "__main__":
    main()
