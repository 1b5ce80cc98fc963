"""``streamfold demo``: the whole spine on scikit-learn's 8x8 digits in well under a minute.

Train a float MLP and a W2A2 QAT MLP, export the QAT model, streamline it to an integer-only
graph, run that graph with the exact executor, and check it equals PyTorch's eval outputs.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from streamfold import validate
from streamfold.codegen.build_dir import check_target
from streamfold.codegen.top import stitch, write_build
from streamfold.cost.estimate import estimate_pipeline
from streamfold.data import load_digits_split
from streamfold.dse.design_point import folding_preset
from streamfold.errors import ToolError
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.ir import Graph, print_graph
from streamfold.models import mlp
from streamfold.sim.design import simulate_build
from streamfold.sim.exact import dequantize, run_single
from streamfold.sim.rtl import find_verilator
from streamfold.training import TrainConfig, accuracy, fit, predict, torch_threads
from streamfold.transforms import streamline

HIDDEN = (64, 64)


@dataclass(frozen=True)
class DemoResult:
    float_top1: float
    qat_top1: float
    int_top1: float
    bit_exact: bool
    compared: int
    lowered: dict[str, int]
    files: tuple[Path, ...]
    hardware: HardwareResult | str  # the RTL check, or why it was skipped


@dataclass(frozen=True)
class HardwareResult:
    build_dir: Path
    frames: int
    bit_exact: bool
    predicted_interval: int
    measured_interval: float
    predicted_latency: int
    measured_latency: int


def float_mlp() -> nn.Sequential:
    layers: list[nn.Module] = []
    width = 64
    for h in HIDDEN:
        layers += [nn.Linear(width, h), nn.BatchNorm1d(h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, 10))


def run_demo(
    out_dir: Path, epochs: int = 40, seed: int = 0, progress: bool = True, rtl: bool = True
) -> DemoResult:
    """Train, export, check and (with ``rtl``) simulate the demo MLP. Training runs on one
    torch thread, so the accuracies are the same on every machine (``torch_threads``)."""
    validate.integer("demo: epochs", epochs, 1, validate.MAX_EPOCHS)
    validate.seed("demo: seed", seed)
    validate.output_dir("demo: out_dir", Path(out_dir))
    check_target(Path(out_dir) / "hw")  # before training, not after
    with torch_threads(1):
        return _run(out_dir, epochs, seed, progress, rtl)


def _run(out_dir: Path, epochs: int, seed: int, progress: bool, rtl: bool) -> DemoResult:
    torch.manual_seed(seed)
    train, test = load_digits_split(seed=seed)
    config = TrainConfig(epochs=epochs, batch_size=64, lr=0.01, seed=seed, progress=progress)
    baseline = float_mlp()
    fit(baseline, train.x, train.y, config)
    float_top1 = accuracy(predict(baseline, test.x), test.y)

    model = mlp(64, HIDDEN, 10, weight_bits=2, act_bits=2, input_bits=5)
    fit(model, train.x, train.y, config)
    logits = predict(model, test.x).numpy()

    graph_nn = export(model, (64,))
    graph_hw = streamline(graph_nn)
    x_codes = input_codes(model, test.x)
    codes = run_single(graph_hw, x_codes)
    int_logits = dequantize(codes, graph_hw.scale(graph_hw.outputs[0])).astype(np.float32)
    files = _write(
        out_dir,
        model,
        {"graph.nn.sfir": print_graph(graph_nn), "graph.hw.sfir": print_graph(graph_hw)},
    )
    return DemoResult(
        float_top1=float_top1,
        qat_top1=accuracy(logits, test.y),
        int_top1=accuracy(int_logits, test.y),
        bit_exact=bool(np.array_equal(int_logits, logits)),
        compared=int(logits.size),
        lowered=dict(Counter(type(n.op).__name__ for n in graph_hw.nodes)),
        files=files,
        hardware=_hardware(graph_nn, x_codes, codes, out_dir / "hw") if rtl else "not requested",
    )


def _hardware(
    graph_nn: Graph, x: npt.NDArray[np.int64], expected: npt.NDArray[np.int64], build_dir: Path
) -> HardwareResult | str:
    """Generate the dataflow RTL (balanced folding) and run the test set through Verilator."""
    try:
        find_verilator()
    except ToolError as e:
        return f"skipped ({e})"
    graph = to_kernels(graph_nn)
    design = stitch(graph, folding_preset(graph, "balanced"))
    write_build(design, build_dir)
    out, run = simulate_build(build_dir, x)
    est = estimate_pipeline(design)
    return HardwareResult(
        build_dir=build_dir,
        frames=len(x),
        bit_exact=bool(np.array_equal(out, expected)),
        predicted_interval=est.interval,
        measured_interval=run.cycles_per_frame,
        predicted_latency=est.latency,
        measured_latency=run.latency,
    )


def _write(out_dir: Path, model: nn.Module, texts: dict[str, str]) -> tuple[Path, ...]:
    """Each file is written to a temporary name and renamed, so none is ever half-written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in texts.items():
        paths.append(_atomic(out_dir / name, lambda p, t=text: p.write_text(t)))
    paths.append(_atomic(out_dir / "model.pt", lambda p: torch.save(model.state_dict(), p)))
    return tuple(paths)


def _atomic(path: Path, write: object) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    assert callable(write)
    write(tmp)
    os.replace(tmp, path)
    return path


def report(r: DemoResult) -> str:
    ops = ", ".join(f"{n} {k}" for k, n in sorted(r.lowered.items()))
    verdict = "yes" if r.bit_exact else "NO"
    return "\n".join(
        [
            "streamfold demo: scikit-learn 8x8 digits, MLP 64-64-64-10, W2A2 (5-bit input)",
            f"  float accuracy            {100 * r.float_top1:6.2f} %",
            f"  QAT accuracy (PyTorch)    {100 * r.qat_top1:6.2f} %",
            f"  integer graph accuracy    {100 * r.int_top1:6.2f} %   ({ops})",
            f"  integer outputs == PyTorch eval outputs, bit for bit: {verdict} "
            f"({r.compared} values)",
            "  wrote " + ", ".join(str(p) for p in r.files),
            *_hardware_report(r.hardware),
        ]
    )


def _hardware_report(h: HardwareResult | str) -> list[str]:
    if isinstance(h, str):
        return [f"  dataflow RTL: {h}"]
    verdict = "yes" if h.bit_exact else "NO"
    return [
        f"  dataflow RTL (balanced folding) in {h.build_dir}, Verilator on {h.frames} test images:",
        f"    outputs == integer graph, bit for bit: {verdict}",
        f"    cycles/frame predicted {h.predicted_interval}, measured {h.measured_interval:.1f}; "
        f"latency predicted {h.predicted_latency}, measured {h.measured_latency} cycles",
    ]
