"""QuantAdd, channel concatenation and grouped convolutions in eval mode: exact, against
independent references (Fractions, plain PyTorch integer convolutions)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from streamfold.errors import QuantError
from streamfold.quant import (
    QTensor,
    QuantAdd,
    QuantConcat,
    QuantConv1d,
    QuantConv2d,
    exact_of,
)
from streamfold.quant.qtensor import ExactValue


def _q(
    codes: torch.Tensor, mul: tuple[Fraction, ...], add: tuple[Fraction, ...] = (Fraction(0),)
) -> QTensor:
    return QTensor.make(ExactValue(codes.to(torch.int64), mul, add))


@pytest.mark.parametrize(
    ("bits", "signed", "scale", "ma", "mb", "multiplier_bits"),
    [
        pytest.param(4, False, 0.3, 0.0625, 0.1, 16, id="u4"),
        pytest.param(3, True, 0.05, 0.0071, 0.9, 8, id="i3-far-scales"),
        pytest.param(2, True, 1.0, 0.5, 0.25, 16, id="powers-of-two"),
    ],
)
def test_quant_add_rounds_its_aligned_dyadic_sum(
    bits: int, signed: bool, scale: float, ma: float, mb: float, multiplier_bits: int
) -> None:
    """codes = clamp(round_half_even((a * M_a + b * M_b + B) / 2**S)) with M = round(m / s * 2**S):
    computed here with Fractions from the float32 scales, independently of snap_add."""
    layer = QuantAdd(bits, signed, scale=scale, multiplier_bits=multiplier_bits).eval()
    rng = np.random.default_rng(1)
    a = torch.from_numpy(rng.integers(0, 16, (3, 2, 4)))
    b = torch.from_numpy(rng.integers(-8, 8, (3, 2, 4)))
    fa, fb = Fraction(float(np.float32(ma))), Fraction(float(np.float32(mb)))
    offsets = (Fraction(1, 3), Fraction(-5, 7))
    out = exact_of(layer(_q(a, (fa,), offsets), _q(b, (fb,))))
    assert out is not None
    s = Fraction(float(layer.out.scale.value()[0]))  # exp(log(scale)) in float32
    shift = max(multiplier_bits - 1 - math.floor(math.log2(r)) for r in (fa / s, fb / s))
    den = 1 << max(shift, 0)
    m_a, m_b = round(fa / s * den), round(fb / s * den)
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    for idx, va in np.ndenumerate(a.numpy()):
        c = idx[1]
        bias = round(offsets[c] / s * den)
        want = min(max(round(Fraction(int(va) * m_a + int(b[idx]) * m_b + bias, den)), lo), hi)
        assert int(out.codes[idx]) == want
    assert out.mul == (s,)
    factors, mul, _ = layer.fold(((fa,), (fb,)), (offsets, (Fraction(0),)), "x")
    assert factors[0] * mul == Fraction(m_a, den) and factors[1] * mul == Fraction(m_b, den)
    assert min(m_a, m_b) >= 1 << (multiplier_bits - 1)  # each multiplier keeps its bits


def test_quant_add_trains_and_evaluates_floats_like_a_requantizer() -> None:
    torch.manual_seed(0)
    layer = QuantAdd(3, scale=0.25)
    a, b = torch.rand(2, 3), torch.rand(2, 3)
    np.testing.assert_array_equal(layer(a, b).detach().numpy(), layer.out(a + b).detach().numpy())
    layer.eval()
    out = exact_of(layer(a, b))  # plain inputs: their float sum is quantized
    assert out is not None
    np.testing.assert_array_equal(
        out.codes.numpy(), torch.clamp(torch.round((a + b) / 0.25), 0, 7).numpy()
    )


def test_quant_add_refuses_per_channel_scales() -> None:
    layer = QuantAdd(3, scale=0.25).eval()
    a = _q(torch.ones(1, 2), (Fraction(1, 2), Fraction(1, 4)))
    with pytest.raises(
        QuantError,
        match=r"^QuantAdd: input 0 must be a quantized activation with one nonzero scale, not 2 "
        r"per-channel scales; put a Requantizer before the add$",
    ):
        layer(a, _q(torch.ones(1, 2), (Fraction(1, 2),)))
    with pytest.raises(QuantError, match=r"^QuantAdd: inputs must have equal shapes"):
        layer(_q(torch.ones(1, 2), (Fraction(1),)), _q(torch.ones(1, 3), (Fraction(1),)))


def test_concat_keeps_each_meaning_per_channel() -> None:
    a = _q(torch.tensor([[[1, 2]], [[3, 0]]]).reshape(2, 1, 2), (Fraction(1, 2),), (Fraction(1),))
    b = _q(torch.tensor([[[5, 6], [7, 8]]] * 2), (Fraction(1, 3), Fraction(1, 5)))
    for out in (QuantConcat()(a, b), torch.cat([a, b], dim=1), torch.cat((a, b), -2)):
        ex = exact_of(out)
        assert ex is not None
        assert ex.mul == (Fraction(1, 2), Fraction(1, 3), Fraction(1, 5))
        assert ex.add == (Fraction(1), Fraction(0), Fraction(0))
        np.testing.assert_array_equal(
            out.numpy(),
            torch.cat([a.as_subclass(torch.Tensor), b.as_subclass(torch.Tensor)], 1).numpy(),
        )
    same = exact_of(torch.cat([b, b], dim=1))
    assert same is not None and same.mul == b.exact.mul * 2
    assert exact_of(torch.cat([a, a], dim=2)) is None  # not channels: no exact meaning kept


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        pytest.param(
            QuantConv2d(6, 6, 3, padding=1, groups=6, weight_bits=3), (2, 6, 5, 5), id="depthwise2d"
        ),
        pytest.param(
            QuantConv2d(4, 6, 3, stride=2, groups=2, weight_bits=2), (2, 4, 7, 7), id="grouped2d"
        ),
        pytest.param(QuantConv1d(4, 8, 3, groups=4, weight_bits=4), (2, 4, 9), id="depthwise1d-x2"),
    ],
)
def test_grouped_conv_eval_is_the_integer_convolution(
    layer: torch.nn.Module, shape: tuple[int, ...]
) -> None:
    torch.manual_seed(0)
    layer.eval()
    codes = torch.randint(0, 16, shape)
    out = exact_of(layer(_q(codes, (Fraction(1, 16),))))
    assert out is not None
    w = layer.weight_quant.codes(layer.weight.detach())  # type: ignore[union-attr, operator]
    conv = F.conv2d if len(shape) == 4 else F.conv1d
    ref = conv(codes.double(), w.double(), None, layer.stride, layer.padding, groups=layer.groups)  # type: ignore[arg-type]
    np.testing.assert_array_equal(out.codes.numpy(), ref.numpy().astype(np.int64))
    assert w.shape[1] * layer.groups == shape[1]  # type: ignore[operator]
