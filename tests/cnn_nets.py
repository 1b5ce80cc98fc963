"""Small convolutional QAT networks shared by the CNN tests (lowering and RTL), and the
three-way check they go through: PyTorch == exact reference == Verilator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from streamfold.quant import QuantConv1d, QuantConv2d, QuantInput, QuantLinear, Requantizer


def conv2d_net(act_bits: int = 2, padding: int = 1, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        QuantInput(4, scale=1 / 15),
        QuantConv2d(2, 4, 3, padding=padding, stride=stride, bias=False, weight_bits=2),
        nn.BatchNorm2d(4),
        Requantizer(act_bits, signed=act_bits == 1),
        QuantConv2d(4, 6, (2, 3), bias=False, weight_bits=1 if act_bits == 1 else 3),
        nn.BatchNorm2d(6),
        Requantizer(act_bits, signed=act_bits == 1),
        nn.MaxPool2d(2),
        nn.Flatten(),
        QuantLinear(6 * _pooled(padding, stride), 5, bias=True, weight_bits=2),
    )


def _pooled(padding: int, stride: int) -> int:
    h, w = 11, 14
    h, w = (h + 2 * padding - 3) // stride + 1, (w + 2 * padding - 3) // stride + 1
    h, w = h - 1, w - 2
    return (h // 2) * (w // 2)


def conv1d_net() -> nn.Sequential:
    return nn.Sequential(
        QuantInput(8, scale=1 / 255, signed=True),
        QuantConv1d(1, 8, 5, stride=2, bias=False, weight_bits=3),
        nn.BatchNorm1d(8),
        Requantizer(3, signed=False),
        QuantConv1d(8, 8, 1, bias=False, weight_bits=2),  # kernel 1
        nn.BatchNorm1d(8),
        Requantizer(2, signed=False),
        nn.MaxPool1d(3, stride=2),
        QuantConv1d(8, 4, 3, padding=2, bias=False, weight_bits=2),
        nn.BatchNorm1d(4),
        Requantizer(4, signed=False),
        nn.AdaptiveAvgPool1d(1),
        nn.Flatten(),
        QuantLinear(4, 3, bias=False, weight_bits=4),
    )


def gap2d_net() -> nn.Sequential:
    return nn.Sequential(
        QuantInput(4, scale=1 / 15),
        QuantConv2d(3, 8, 1, bias=False, weight_bits=2),  # kernel 1, 2-D
        nn.BatchNorm2d(8),
        Requantizer(2, signed=False),
        QuantConv2d(8, 8, 3, stride=2, bias=False, weight_bits=2),
        nn.BatchNorm2d(8),
        Requantizer(2, signed=False),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        Requantizer(4, signed=False),
        QuantLinear(8, 4, bias=False, weight_bits=2),
    )


def chain3_net() -> nn.Sequential:
    """Three 3x3 convolutions, the second strided (a residual-net prefix without the adds),
    global pooling and a classifier: the pipeline whose cycles and latency the models first
    missed (issue 18)."""
    layers: list[nn.Module] = [QuantInput(8, scale=1 / 255)]
    for cin, cout, stride in ((1, 8, 1), (8, 16, 2), (16, 16, 1)):
        layers += [
            QuantConv2d(cin, cout, 3, stride=stride, padding=1, bias=False, weight_bits=2),
            nn.BatchNorm2d(cout),
            Requantizer(2, signed=False),
        ]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), QuantLinear(16, 10, weight_bits=2)]
    return nn.Sequential(*layers)


def calibrated(model: nn.Sequential, shape: tuple[int, ...], seed: int) -> torch.Tensor:
    torch.manual_seed(seed)
    x = torch.rand(48, *shape) * (2 if shape[0] == 1 and len(shape) == 2 else 1)
    if shape == (1, 40):
        x = x - 1  # signed 1-D signal
    model.train()
    for _ in range(4):  # initialise the Requantizer scales and BN statistics
        model(x)
    model.eval()
    return x


def random_cnn(rng: np.random.Generator) -> tuple[nn.Sequential, tuple[int, ...]]:
    """A seeded random CNN and its input shape: 1-D or 2-D, 1-3 input channels, 2-8-bit signed
    or unsigned input, 1-3 convolutions (kernel 1-3, stride 1-2, padding 0-1 unless the input
    is bipolar, 1-4-bit weights, 1-4-bit activations, bias or not, BatchNorm), max pooling
    after some, then global average pooling or a Flatten of what is left, and an FC layer."""
    dims = int(rng.integers(1, 3))
    conv = QuantConv1d if dims == 1 else QuantConv2d
    pool = nn.MaxPool1d if dims == 1 else nn.MaxPool2d
    gap = nn.AdaptiveAvgPool1d if dims == 1 else nn.AdaptiveAvgPool2d
    norm = nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d
    channels = int(rng.integers(1, 4))
    size = [int(rng.integers(6, 14)) for _ in range(dims)]
    shape = (channels, *size)
    bits = int(rng.integers(2, 9))
    layers: list[nn.Module] = [
        QuantInput(bits, signed=bool(rng.integers(0, 2)), scale=1 / 2 ** (bits - 1))
    ]
    bipolar = False
    for _ in range(int(rng.integers(1, 4))):
        k, s = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        p = 0 if bipolar else int(rng.integers(0, 2))
        if min(size) + 2 * p < k:
            break
        out, act = int(rng.integers(2, 9)), int(rng.integers(1, 5))
        layers += [
            conv(channels, out, k, stride=s, padding=p, bias=bool(rng.integers(0, 2)),
                 weight_bits=int(rng.integers(1, 5))),
            norm(out),
            Requantizer(act, signed=act == 1 or bool(rng.integers(0, 2))),
        ]  # fmt: skip
        bipolar = act == 1
        size = [(d + 2 * p - k) // s + 1 for d in size]
        channels = out
        if rng.integers(0, 2) and min(size) >= 2:
            pk = int(rng.integers(2, min(3, min(size)) + 1))
            layers.append(pool(pk))
            size = [(d - pk) // pk + 1 for d in size]
    if rng.integers(0, 3) == 0:
        layers += [gap(1), nn.Flatten()]
        features = channels
    else:
        layers.append(nn.Flatten())
        features = channels * int(np.prod(size))
    classes = int(rng.integers(2, 6))
    layers.append(QuantLinear(features, classes, bias=False, weight_bits=int(rng.integers(1, 5))))
    return nn.Sequential(*layers), shape


def run_steady(
    build: Path, design: Any, codes: np.ndarray, **kwargs: Any
) -> tuple[np.ndarray, Any, int]:
    """Outputs for ``codes`` (no stalls), the run, and the first frame of its steady state
    (``cost.estimate.first_steady``): the frames are repeated until two follow it."""
    from streamfold.cost.estimate import first_steady, stage_costs
    from streamfold.sim.design import simulate_build

    first = first_steady(stage_costs(design), design.stream_in.words)
    reps = -(-(first + 3) // len(codes))
    outputs, run = simulate_build(build, np.concatenate([codes] * reps), **kwargs)
    return outputs[: len(codes)], run, first


def check_in_rtl(
    model: nn.Module,
    x: torch.Tensor,
    shape: tuple[int, ...],
    folding: str,
    out_dir: Path,
    *,
    stall: float = 0.25,
    seed: int = 3,
    latency_rel: float | None = None,
    lowering: Any = None,
) -> Path:
    """PyTorch eval codes == the kernel graph's == the generated RTL's, with ``stall`` random
    stalls on both streams and without, at ``folding`` (a preset, or ``max-fps``: the search's
    choice on xc7z020 at 100 MHz); measured cycles per frame within 2 % of predicted
    (and latency within ``latency_rel`` when given), once the pipeline has settled
    (``run_steady``). A model with its own forward (a DAG) is
    exported through torch.fx and gets the FIFO depths ``cost.fifo_sizing`` derives.
    ``lowering`` forces one Requantize lowering (``flow.to_kernels``). Returns the build
    directory."""
    import pytest

    from streamfold.codegen.top import stitch, write_build
    from streamfold.cost.estimate import estimate_pipeline
    from streamfold.cost.fifo_sizing import with_sized_fifos
    from streamfold.flow import to_kernels
    from streamfold.frontend import torch as sequential
    from streamfold.frontend import torch_fx
    from streamfold.sim.design import simulate_build
    from streamfold.sim.exact import run_single

    front: Any = sequential if isinstance(model, nn.Sequential) else torch_fx

    with torch.no_grad():
        expected = model(x).exact.codes.numpy()
    graph = to_kernels(
        front.export(model, shape) if front is sequential else front.export_module(model, shape),
        lowering,
    )
    codes = front.input_codes(model, x.numpy())
    reference = run_single(graph, codes)
    assert np.array_equal(reference, expected)
    design = stitch(graph, with_sized_fifos(graph, _point(graph, folding)))
    est = estimate_pipeline(design)
    build = write_build(design, out_dir)
    frames = reference.reshape(len(x), -1)
    stalled, _ = simulate_build(build, codes, stall_in=stall, stall_out=stall, seed=seed)
    assert np.array_equal(stalled, frames)
    free, run, first = run_steady(build, design, codes)
    assert np.array_equal(free, frames)
    assert run.cycles_per_frame_from(first) == pytest.approx(est.interval, rel=0.02), (
        f"cycles/frame from frame {first}: measured {run.cycles_per_frame_from(first)}, "
        f"predicted {est.interval}"
    )
    if latency_rel is not None:
        assert run.latency_offered == pytest.approx(est.latency, rel=latency_rel), (
            f"latency: measured {run.latency_offered} cycles, predicted {est.latency}"
        )
    return build


def _point(graph: Any, folding: str) -> Any:
    """The design point of ``folding``: a preset, or ``max-fps`` (``dse.search.max_fps`` on
    xc7z020 at 100 MHz)."""
    from streamfold.cost.devices import device
    from streamfold.dse.design_point import folding_preset
    from streamfold.dse.search import max_fps

    if folding == "max-fps":
        return max_fps(graph, device("xc7z020"), 100.0).point
    return folding_preset(graph, folding)
