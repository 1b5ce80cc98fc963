"""Quantized weight layers: QuantLinear, QuantConv1d, QuantConv2d.

Weights: ``weight_bits`` 1..8 per layer; 1 bit is bipolar {-1, +1}; ``narrow=True`` drops the
most negative code, so ``weight_bits=2, narrow=True`` is ternary {-1, 0, +1}. Scales are learned
(log domain, LSQ gradient) per tensor or per output channel. In eval mode, fed integer codes
(from a QuantInput or Requantizer), they compute the exact integer accumulator. Convolutions
take ``groups`` (``groups=in_channels``: depthwise), as PyTorch's do.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from streamfold.errors import QuantError
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.quant.exact import Fractions, exact_tensor
from streamfold.quant.functional import fake_quant, int_codes
from streamfold.quant.qtensor import ExactValue, QTensor, exact_of
from streamfold.quant.scale import LearnedScale, check_bits, single


def weight_type(bits: int, narrow: bool) -> IntType:
    return BIPOLAR if bits == 1 else IntType(bits, True, narrow=narrow)


class WeightQuantizer(nn.Module):
    """Fake-quantizes a weight tensor ``[out, ...]``; scale per tensor or per output channel."""

    def __init__(self, bits: int, narrow: bool, per_channel: bool, out_channels: int, where: str):
        super().__init__()
        self.dtype = weight_type(check_bits(bits, where), narrow)
        self.per_channel = per_channel
        self.scale = LearnedScale(out_channels if per_channel else 1, init_batches=1)

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.scale.observe(self._init_statistic(w))
        factor = 1.0 / math.sqrt(w[0].numel() * max(self.dtype.max, 1))
        return fake_quant(w, self._shaped(self.scale(factor), w), self.dtype)

    def _init_statistic(self, w: torch.Tensor) -> torch.Tensor:
        mag = w.detach().abs().reshape(w.shape[0], -1)
        mag = mag.mean(dim=1) if self.per_channel else mag.mean()
        return mag if self.dtype.bipolar else 2 * mag / math.sqrt(self.dtype.max)

    def _shaped(self, s: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return s.reshape((-1,) + (1,) * (w.dim() - 1))

    def codes(self, w: torch.Tensor) -> torch.Tensor:
        """Integer weight codes (int64), as the eval forward and the exporter use them."""
        return int_codes(w, self._shaped(self.scale.value(), w), self.dtype)

    def exact_scale(self, where: str) -> Fractions:
        return self.scale.exact(where)


class _QuantWeightLayer:
    """Shared behaviour of the quantized weight layers (mixed into nn.Linear / nn.ConvNd)."""

    def _setup(self: Any, weight_bits: int, narrow: bool, per_channel: bool) -> None:
        where = type(self).__name__
        self.weight_quant = WeightQuantizer(
            weight_bits, narrow, per_channel, self.weight.shape[0], where
        )
        # A sensible scale for the initial weights already; re-initialised on the first training
        # batch, so a custom weight initialisation after construction is honoured too.
        self.weight_quant.scale.preset(self.weight_quant._init_statistic(self.weight))

    def forward(self: Any, x: torch.Tensor) -> torch.Tensor:
        ex = exact_of(x)
        if self.training or ex is None or not ex.is_integer:
            plain = x.as_subclass(torch.Tensor) if isinstance(x, QTensor) else x
            result: torch.Tensor = self._float_forward(plain, self.weight_quant(self.weight))
            return result
        where = type(self).__name__
        w = self.weight_quant.codes(self.weight)
        peak = int(ex.codes.abs().max()) if ex.codes.numel() else 0
        if peak * int(w.abs().reshape(w.shape[0], -1).sum(dim=1).max()) >= 1 << 53:
            raise QuantError(f"{where}: accumulator must stay below 2**53 for the exact eval path")
        acc = self._exact_forward(ex.codes.double(), w.double()).round().to(torch.int64)
        mul = tuple(single(ex.mul) * s for s in self.weight_quant.exact_scale(where))
        add = exact_tensor(self.bias, where, "bias") if self.bias is not None else (Fraction(0),)
        return QTensor.make(ExactValue(acc, mul, add))


class QuantLinear(_QuantWeightLayer, nn.Linear):
    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        weight_bits: int = 2,
        narrow: bool = False,
        per_channel: bool = False,
    ):
        nn.Linear.__init__(self, in_features, out_features, bias)
        self._setup(weight_bits, narrow, per_channel)

    def _float_forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return F.linear(x, w, self.bias)

    def _exact_forward(self, codes: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return F.linear(codes, w)


def _check_conv_settings(
    kind: str, in_channels: int, out_channels: int, groups: int, dilation: int
) -> None:
    """The integer graph holds undilated convolutions only, grouped or not: say so now,
    not at export."""
    where = f"{kind}({in_channels}, {out_channels})"
    if not isinstance(groups, int) or groups < 1 or in_channels % groups or out_channels % groups:
        raise QuantError(
            f"{where}: groups must be a positive integer dividing in_channels and out_channels, "
            f"not {groups!r}"
        )
    if dilation != 1:
        raise QuantError(f"{where}: dilation must be 1, not {dilation}")


class QuantConv1d(_QuantWeightLayer, nn.Conv1d):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
        *,
        weight_bits: int = 2,
        narrow: bool = False,
        per_channel: bool = False,
        groups: int = 1,
        dilation: int = 1,
    ):
        _check_conv_settings("QuantConv1d", in_channels, out_channels, groups, dilation)
        nn.Conv1d.__init__(
            self, in_channels, out_channels, kernel_size, stride, padding, groups=groups, bias=bias
        )
        self._setup(weight_bits, narrow, per_channel)

    def _float_forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x, w, self.bias, self.stride, self.padding, groups=self.groups)

    def _exact_forward(self, codes: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return F.conv1d(codes, w, None, self.stride, self.padding, groups=self.groups)


class QuantConv2d(_QuantWeightLayer, nn.Conv2d):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = True,
        *,
        weight_bits: int = 2,
        narrow: bool = False,
        per_channel: bool = False,
        groups: int = 1,
        dilation: int = 1,
    ):
        _check_conv_settings("QuantConv2d", in_channels, out_channels, groups, dilation)
        nn.Conv2d.__init__(
            self, in_channels, out_channels, kernel_size, stride, padding, groups=groups, bias=bias
        )
        self._setup(weight_bits, narrow, per_channel)

    def _float_forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, w, self.bias, self.stride, self.padding, groups=self.groups)

    def _exact_forward(self, codes: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return F.conv2d(codes, w, None, self.stride, self.padding, groups=self.groups)
