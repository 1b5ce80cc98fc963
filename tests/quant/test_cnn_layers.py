"""Convolutional QAT models: global average pooling in eval mode, CNV and small_cnn builders."""

from __future__ import annotations

import importlib.util
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from streamfold.data import FASHION_MNIST_DIR
from streamfold.models import cnv, small_cnn, small_cnn_float
from streamfold.quant import QTensor, QuantConv2d, QuantInput, QuantLinear, Requantizer, exact_of
from streamfold.quant.qtensor import ExactValue

ROOT = Path(__file__).resolve().parents[2]


def _trained(model: nn.Module, shape: tuple[int, ...], steps: int = 6) -> nn.Module:
    """A few optimiser steps, so scales and BatchNorm statistics are non-trivial; then eval."""
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        model(torch.rand(*shape)).square().mean().backward()
        opt.step()
    return model.eval()


def _gap_model(pool: nn.Module) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        QuantInput(8, scale=1 / 255),
        QuantConv2d(3, 8, 3, bias=False, weight_bits=3),
        nn.BatchNorm2d(8),
        Requantizer(3, signed=True, narrow=True),
        pool,
        nn.Flatten(),
        QuantLinear(8, 5, weight_bits=3),
    )


def _exact_fraction(ex: ExactValue, index: tuple[int, ...]) -> Fraction:
    c = index[1] if len(ex.mul) > 1 else 0
    a = index[1] if len(ex.add) > 1 else 0
    return int(ex.codes[index]) * ex.mul[c] + ex.add[a]


def test_global_avg_pool_is_dispatched_to_the_exact_handler() -> None:
    calls: list[object] = []

    class Spy(torch.Tensor):
        @classmethod
        def __torch_function__(
            cls, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
        ) -> Any:
            calls.append(func)
            with torch._C.DisableTorchFunctionSubclass():
                return func(*args, **(kwargs or {}))

    nn.AdaptiveAvgPool2d(1)(torch.zeros(1, 2, 3, 3).as_subclass(Spy))
    nn.AdaptiveAvgPool1d(1)(torch.zeros(1, 2, 3).as_subclass(Spy))
    assert F.adaptive_avg_pool2d in calls and F.adaptive_avg_pool1d in calls

    q = QTensor.make(ExactValue(torch.arange(18).reshape(1, 2, 3, 3), (Fraction(1, 3),), (0,)))
    out = nn.AdaptiveAvgPool2d((1, 1))(q)
    ex = exact_of(out)
    assert ex is not None
    assert ex.codes.dtype == torch.int64 and ex.codes.shape == (1, 2, 1, 1)
    assert ex.codes.flatten().tolist() == [sum(range(9)), sum(range(9, 18))]
    assert ex.mul == (Fraction(1, 27),)
    np.testing.assert_allclose(out.flatten().numpy(), [4 / 3, 13 / 3], rtol=1e-6)


def test_global_avg_pool_1d_and_per_channel_meaning() -> None:
    codes = torch.tensor([[[1, -2, 4, 5], [3, 3, 3, 0]]])
    mul, add = (Fraction(1, 2), Fraction(3, 7)), (Fraction(1), Fraction(-5, 3))
    out = F.adaptive_avg_pool1d(QTensor.make(ExactValue(codes, mul, add)), 1)
    ex = exact_of(out)
    assert ex is not None and ex.codes.shape == (1, 2, 1)
    assert ex.codes.flatten().tolist() == [8, 9]
    assert ex.mul == (Fraction(1, 8), Fraction(3, 28)) and ex.add == add
    for c in range(2):
        mean = sum(int(v) * mul[c] + add[c] for v in codes[0, c]) / 4
        assert _exact_fraction(ex, (0, c, 0)) == mean


@pytest.mark.parametrize("size", [2, (1, 2), (2, 1)])
def test_adaptive_pool_to_other_sizes_is_plain_float(size: int | tuple[int, int]) -> None:
    q = QTensor.make(ExactValue(torch.arange(16).reshape(1, 1, 4, 4), (Fraction(1),), (0,)))
    out = F.adaptive_avg_pool2d(q, size)
    assert exact_of(out) is None
    ref = F.adaptive_avg_pool2d(torch.arange(16.0).reshape(1, 1, 4, 4), size)
    torch.testing.assert_close(out.as_subclass(torch.Tensor), ref)


def test_global_avg_pool_model_equals_float_computation() -> None:
    model = _trained(_gap_model(nn.AdaptiveAvgPool2d(1)), (16, 3, 9, 9))
    x = torch.rand(4, 3, 9, 9)
    with torch.no_grad():
        features = model[:4](x)  # Requantizer output: integer codes * s
        pooled = model[:5](x)
        out = model(x)
    fe, pe, oe = exact_of(features), exact_of(pooled), exact_of(out)
    assert fe is not None and pe is not None and oe is not None
    # the codes are the integer sums of the requantized codes over the 7 x 7 positions
    assert pe.codes.dtype == torch.int64 and pe.codes.shape == (4, 8, 1, 1)
    torch.testing.assert_close(pe.codes, fe.codes.sum(dim=(2, 3), keepdim=True), rtol=0, atol=0)
    assert pe.mul == (fe.mul[0] / 49,) and pe.add == fe.add
    assert pe.is_integer  # so QuantLinear consumes it on the exact path
    # the exact meaning is the mean, exactly
    for n, c in ((0, 0), (3, 7), (2, 5)):
        mean = Fraction(int(fe.codes[n, c].sum())) * fe.mul[0] / 49
        assert _exact_fraction(pe, (n, c, 0, 0)) == mean
    # the whole model equals the float computation on the dequantized values
    lin = model[6]
    w = lin.weight_quant.codes(lin.weight).double() * lin.weight_quant.scale.value().double()
    ref = F.linear(
        F.adaptive_avg_pool2d(features.as_subclass(torch.Tensor).double(), 1).flatten(1),
        w,
        lin.bias.detach().double(),
    )
    np.testing.assert_allclose(out.as_subclass(torch.Tensor).double(), ref, rtol=1e-5, atol=1e-6)
    assert oe.codes.dtype == torch.int64


@pytest.mark.parametrize(("w", "a"), [(1, 1), (1, 2), (2, 2)], ids=["W1A1", "W1A2", "W2A2"])
def test_cnv_shapes(w: int, a: int) -> None:
    torch.manual_seed(0)
    model = cnv(w, a)
    x = torch.rand(2, 3, 32, 32)
    model.train()
    assert model(x).shape == (2, 10)
    model.eval()
    with torch.no_grad():
        out = model(x)
        flat_in = model[: [type(m) for m in model].index(nn.Flatten)](x)
    assert out.shape == (2, 10)
    assert flat_in.shape == (2, 256, 1, 1)
    assert exact_of(out) is not None  # exact all the way through
    convs = [m for m in model if isinstance(m, QuantConv2d)]
    assert [c.out_channels for c in convs] == [64, 64, 128, 128, 256, 256]
    assert all(c.padding == (0, 0) and c.bias is None for c in convs)
    reqs = [m for m in model if type(m) is Requantizer]
    assert len(reqs) == 8 and all(r.dtype.bipolar == (a == 1) for r in reqs)


def test_cnv_pools_integer_codes() -> None:
    model = cnv(2, 2).eval()
    for i, m in enumerate(model):
        if isinstance(m, nn.MaxPool2d):
            assert isinstance(model[i - 1], Requantizer)


def test_small_cnn_forward() -> None:
    torch.manual_seed(0)
    model = _trained(small_cnn(2, 2), (8, 1, 28, 28), steps=2)
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        out = model(x)
        flat_in = model[: [type(m) for m in model].index(nn.Flatten)](x)
    assert out.shape == (3, 10) and exact_of(out) is not None
    assert flat_in.shape == (3, 32, 4, 4)  # spatial extent > 1 at the conv-to-FC transition
    assert small_cnn(4, 4, classes=7).train()(x).shape == (3, 7)
    assert small_cnn_float().eval()(x).shape == (3, 10)


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_cnn", ROOT / "bench" / "train_cnn.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not Path(FASHION_MNIST_DIR).is_dir(), reason="Fashion-MNIST is not installed")
def test_bench_train_tiny_and_reload(tmp_path: Path) -> None:
    bench = _bench()
    model, row = bench.train("W2A2", FASHION_MNIST_DIR, 1, limit=300, test_limit=200)
    assert row["train_images"] == 300 and row["test_images"] == 200
    assert 0 <= row["test_top1"] <= 100
    bench.save(model, "W2A2", tmp_path / "m.pt")
    again = bench.load(tmp_path / "m.pt")
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(again(x), model(x), rtol=0, atol=0)
