"""Every user-facing error is a StreamfoldError with a pinned message."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from streamfold.errors import FrontendError, QuantError
from streamfold.frontend.torch import export
from streamfold.quant import QuantInput, QuantLinear, Requantizer


def _eval(model: nn.Sequential, features: int) -> nn.Sequential:
    model.train()
    with torch.no_grad():
        model(torch.rand(16, features))
    return model.eval()


def test_unsupported_layer_is_named() -> None:
    model = _eval(nn.Sequential(QuantInput(8), QuantLinear(4, 3), nn.Softmax(dim=1)), 4)
    with pytest.raises(
        FrontendError,
        match=r"^layer 2 \(Softmax\): unsupported layer; supported layers are QuantInput, ",
    ):
        export(model, (4,))


@pytest.mark.parametrize("bits", [0, 9, 2.5, True])
def test_requantizer_bit_width_outside_range(bits: object) -> None:
    with pytest.raises(
        QuantError, match=rf"^Requantizer: bits must be an integer in 1\.\.8, not {bits!r}$"
    ):
        Requantizer(bits)  # type: ignore[arg-type]


def test_weight_bit_width_outside_range() -> None:
    with pytest.raises(
        QuantError, match=r"^QuantLinear: bits must be an integer in 1\.\.8, not 9$"
    ):
        QuantLinear(4, 3, weight_bits=9)


def test_quantized_layer_feeding_float_layer() -> None:
    model = _eval(nn.Sequential(QuantInput(8), QuantLinear(4, 3), nn.Linear(3, 2)), 4)
    with pytest.raises(
        FrontendError,
        match=r"^layer 2 \(Linear\): is not quantized but is fed by layer 1 \(QuantLinear\); "
        r"an integer graph cannot be formed",
    ):
        export(model, (4,))


def test_real_valued_output_feeding_quantized_layer() -> None:
    model = nn.Sequential(QuantInput(8), QuantLinear(4, 3), nn.BatchNorm1d(3), QuantLinear(3, 2))
    with pytest.raises(
        FrontendError,
        match=r"^layer 3 \(QuantLinear\): input must be integer codes with one per-tensor scale, "
        r"not the real-valued output of layer 2 \(BatchNorm1d\); insert a Requantizer before it$",
    ):
        export(_eval(model, 4), (4,))


def test_first_layer_must_be_quant_input() -> None:
    with pytest.raises(FrontendError, match=r"^model: the first layer must be a QuantInput"):
        export(nn.Sequential(QuantLinear(4, 3)), (4,))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_learned_scale(bad: float) -> None:
    model = _eval(nn.Sequential(QuantInput(8), QuantLinear(4, 3), Requantizer(2)), 4)
    with torch.no_grad():
        model[2].scale.log_scale.fill_(bad)
    message = r"^layer 2 \(Requantizer\): learned scale must be finite and positive, not (nan|inf)$"
    with pytest.raises(QuantError, match=message):
        export(model, (4,))
    with pytest.raises(
        QuantError, match=r"^Requantizer: learned scale must be finite and positive"
    ):
        model(torch.rand(2, 4))


def test_non_finite_weight_scale() -> None:
    model = _eval(nn.Sequential(QuantInput(8), QuantLinear(4, 3), Requantizer(2)), 4)
    with torch.no_grad():
        model[1].weight_quant.scale.log_scale.fill_(float("nan"))
    with pytest.raises(
        QuantError, match=r"^layer 1 \(QuantLinear\): learned scale must be finite and positive"
    ):
        export(model, (4,))
