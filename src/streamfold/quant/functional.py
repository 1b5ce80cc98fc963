"""Differentiable quantization primitives (straight-through estimators).

Rounding is half to even everywhere (``torch.round``; QONNX's ``ROUND``), in training and in the
exact eval path alike. Sign maps 0 to +1 (QONNX's ``BipolarQuant``).
"""

from __future__ import annotations

from typing import Any

import torch

from streamfold.ir.dtypes import IntType


class _RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return torch.round(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        return grad


class _SignSTE(torch.autograd.Function):
    """sign with sign(0) = +1; gradient passes where |x| <= 1 (hard-tanh STE)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.where(x >= 0, 1.0, -1.0).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        result: torch.Tensor = grad * (x.abs() <= 1).to(grad.dtype)
        return result


def round_ste(x: torch.Tensor) -> torch.Tensor:
    return _RoundSTE.apply(x)  # type: ignore[no-untyped-call,no-any-return]


def sign_ste(x: torch.Tensor) -> torch.Tensor:
    return _SignSTE.apply(x)  # type: ignore[no-untyped-call,no-any-return]


def grad_scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Identity forward; gradient multiplied by ``factor`` (LSQ's step-size gradient scale)."""
    return (x - x * factor).detach() + x * factor


def fake_quant(x: torch.Tensor, scale: torch.Tensor, dtype: IntType) -> torch.Tensor:
    """scale * codes, codes = clamp(round(x / scale)) (or sign for bipolar); STE gradients.

    The gradient with respect to ``scale`` is LSQ's (Esser et al., ICLR 2020).
    """
    v = x / scale
    codes = sign_ste(v) if dtype.bipolar else torch.clamp(round_ste(v), dtype.min, dtype.max)
    return codes * scale


def int_codes(x: torch.Tensor, scale: torch.Tensor, dtype: IntType) -> torch.Tensor:
    """The integer codes fake_quant multiplies by ``scale``, as int64 (no gradient).

    ``x`` is first cast to the scale's dtype (float32), so float64 inputs give the same codes
    as their float32 values do everywhere (eval forward, ``input_codes``, the exporter).
    """
    with torch.no_grad():
        v = x.to(scale.dtype) / scale
        if dtype.bipolar:
            return torch.where(v >= 0, 1, -1).to(torch.int64)
        return torch.clamp(torch.round(v), dtype.min, dtype.max).to(torch.int64)
