"""streamfold's reference executor vs ``qonnx``'s ``execute_onnx`` on TFC over the MNIST test set.

    python bench/qonnx_speed.py --data ../shared/data/mnist \\
        --model ../shared/models/tfc_qonnx_zoo/TFC_2W2A.onnx --qonnx-images 1000

streamfold: ``import_qonnx`` the file, ``streamline`` it to the integer graph, then time
``input_codes`` + ``sim.exact.run_single`` + dequantize over all test images in one batch
(import and streamlining are set-up, reported apart, as is qonnx's ``cleanup_model``).
qonnx: ``cleanup_model`` then ``execute_onnx``, one image per call as qonnx users run it (the
file's batch size is 1); timed on the first ``--qonnx-images`` images and extrapolated to the
whole set when that is fewer (the table says so). ``--qonnx-batched`` also times one
``execute_onnx`` call on all images after ``cleanup_model(override_inpsize=N)``.

``--export`` benchmarks a TFC of our own instead (random weights, calibrated scales, written by
``export_qonnx``), for machines without the zoo model. Only reads the model; never copies it.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from streamfold.data import load_mnist
from streamfold.sim.exact import dequantize, run_single
from streamfold.transforms import streamline


def streamfold_runner(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    from streamfold.frontend.qonnx import import_qonnx

    imported = import_qonnx(path)
    graph = streamline(imported.graph)

    def run(x: np.ndarray) -> np.ndarray:
        codes = run_single(graph, imported.input_codes(x))
        return dequantize(codes, graph.scale(graph.outputs[0])).astype(np.float32)

    return run


def qonnx_runner(path: Path, batch: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.util.cleanup import cleanup_model

    model = cleanup_model(ModelWrapper(str(path)), override_inpsize=batch)
    name = model.graph.input[0].name
    shape = model.get_tensor_shape(name)

    def run(x: np.ndarray) -> np.ndarray:
        out = execute_onnx(model, {name: x.reshape(shape).astype(np.float32)})
        return np.asarray(next(iter(out.values()))).reshape(len(x), -1)

    return run


def timed(fn: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def own_tfc(path: Path, x: np.ndarray) -> None:
    """A TFC-W2A2 of our own (untrained weights, scales and BN from a few batches) as QONNX."""
    import torch

    from streamfold.frontend.export_qonnx import export_qonnx
    from streamfold.models import tfc

    torch.manual_seed(0)
    model = tfc(2, 2)
    with torch.no_grad():
        model.train()
        for i in range(8):
            model(torch.from_numpy(x[i * 100 : (i + 1) * 100]))
    export_qonnx(model.eval(), (784,), path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="../shared/data/mnist")
    p.add_argument("--model", default="../shared/models/tfc_qonnx_zoo/TFC_2W2A.onnx")
    p.add_argument("--export", action="store_true", help="benchmark our own exported TFC")
    p.add_argument("--qonnx-images", type=int, default=1000, help="images timed one per call")
    p.add_argument("--qonnx-batched", action="store_true", help="also time one batched call")
    p.add_argument("--reference", help="qonnx logits (.npy) of all test images to compare with")
    args = p.parse_args()
    _, test = load_mnist(args.data)
    x = test.x.reshape(-1, 1, 28, 28)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.model)
        if args.export:
            path = Path(tmp) / "tfc_w2a2_streamfold.onnx"
            own_tfc(path, test.x)
            x = test.x
        rows = measure(path, x, test.y, args)
    report(rows, path, args, len(x))


def measure(path: Path, x: np.ndarray, y: np.ndarray, args: Any) -> list[dict[str, Any]]:
    n, k = len(x), min(args.qonnx_images, len(x))
    start = time.perf_counter()
    run_ours = streamfold_runner(path)
    setup = time.perf_counter() - start
    ours, t_ours = timed(lambda: run_ours(x))
    rows = [{"what": f"streamfold sim.exact, 1 call x {n}", "s": t_ours, "setup_s": setup}]
    start = time.perf_counter()
    run_one = qonnx_runner(path)
    rows.append({"setup_s": time.perf_counter() - start})
    theirs, t_sub = timed(lambda: np.concatenate([run_one(x[i : i + 1]) for i in range(k)]))
    agree = bool(np.array_equal(theirs.argmax(1), ours[:k].argmax(1)))
    rows[1].update(
        {
            "what": f"qonnx execute_onnx, {n} calls x 1"
            + (f" (timed {k}, extrapolated)" if k < n else ""),
            "s": t_sub * n / k,
            "argmax_equal": f"{agree} ({k} images)",
            "max_abs_diff": float(np.abs(theirs - ours[:k]).max()),
        }
    )
    if args.qonnx_batched:
        start = time.perf_counter()
        run_all = qonnx_runner(path, batch=n)
        setup = time.perf_counter() - start
        batched, t_batch = timed(lambda: run_all(x))
        rows.append(
            {
                "what": f"qonnx execute_onnx, 1 call x {n} (cleanup_model override_inpsize={n})",
                "s": t_batch,
                "setup_s": setup,
                "argmax_equal": f"{bool(np.array_equal(batched.argmax(1), ours.argmax(1)))}",
                "max_abs_diff": float(np.abs(batched - ours).max()),
            }
        )
    rows[0]["top1"] = 100 * float((ours.argmax(1) == y).mean())
    if args.reference:
        ref = np.load(args.reference)
        rows[0]["argmax_equal"] = f"{bool(np.array_equal(ref.argmax(1), ours.argmax(1)))} (ref)"
        rows[0]["max_abs_diff"] = float(np.abs(ref - ours).max())
    return rows


def report(rows: list[dict[str, Any]], path: Path, args: Any, n: int) -> None:
    machine = f"{os.cpu_count()}-core {platform.processor() or platform.machine()}"
    source = "streamfold export_qonnx (own TFC-W2A2)" if args.export else path.name
    print(f"# TFC over {n} MNIST test images: {source}; {machine}; {time.strftime('%Y-%m-%d')}")
    print(f"streamfold top-1: {rows[0]['top1']:.2f} %")
    print(
        "| executor | seconds | images/s | streamfold speed-up | argmax equal | max |diff| "
        "| setup s (not timed) |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        speedup = r["s"] / rows[0]["s"]
        diff = f"{r['max_abs_diff']:.3g}" if "max_abs_diff" in r else "-"
        print(
            f"| {r['what']} | {r['s']:.2f} | {n / r['s']:,.0f} | {speedup:.1f}x "
            f"| {r.get('argmax_equal', '-')} | {diff} | {r['setup_s']:.2f} |"
        )


if __name__ == "__main__":
    main()
