"""Requantizer: the trainable activation that is also the integer rescaler; QuantInput."""

from __future__ import annotations

import math
from fractions import Fraction

import torch
from torch import nn

from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.quant.exact import Fractions, as_channel_tensor, per_channel, snap_requant
from streamfold.quant.functional import fake_quant, int_codes
from streamfold.quant.qtensor import ExactValue, QTensor, exact_of
from streamfold.quant.scale import LearnedScale, check_bits, single
from streamfold.transforms.lower_requantize import dyadic_mulshift


def activation_type(bits: int, signed: bool, narrow: bool) -> IntType:
    """1-bit signed is bipolar {-1, +1}; otherwise a plain or narrow-range integer."""
    if bits == 1 and signed:
        return BIPOLAR
    return IntType(bits, signed, narrow=narrow and signed and bits > 1)


class Requantizer(nn.Module):
    """Quantized activation with a learned scale: y = s * clamp(round(x / s)).

    Unsigned it is a quantized ReLU (0 .. 2**bits - 1), signed a quantized hard-tanh (narrow:
    symmetric), 1-bit signed is bipolar (sign, 0 -> +1). The scale s is learned in the log
    domain with LSQ's gradient; it starts from the first batches' statistics, so no calibration
    data is needed. In eval mode the output is exact: it equals the integer graph's.

    ``multiplier_bits`` is the precision of the folded integer multiplier (see quant.exact).
    """

    def __init__(
        self,
        bits: int,
        signed: bool = False,
        narrow: bool = False,
        *,
        scale: float | None = None,
        multiplier_bits: int = 16,
        init_batches: int = 4,
    ):
        super().__init__()
        self.bits = check_bits(bits, type(self).__name__)
        self.signed, self.narrow = signed, narrow
        self.dtype = activation_type(bits, signed, narrow)
        self.multiplier_bits = multiplier_bits
        self.scale = LearnedScale(1, init_batches, fixed=scale)

    def extra_repr(self) -> str:
        return f"{self.dtype}, multiplier_bits={self.multiplier_bits}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.scale.observe(self._init_statistic(x))
            factor = 1.0 / math.sqrt(x[0].numel() * max(self.dtype.max, 1))
            return fake_quant(x, self.scale(factor), self.dtype)
        s = self.scale.exact(type(self).__name__)
        ex = exact_of(x)
        if ex is None:  # plain real input (e.g. the network input): quantize its floats
            codes = int_codes(x.as_subclass(torch.Tensor), self.scale.value(), self.dtype)
        else:
            codes = self._requantize(ex)
        return QTensor.make(ExactValue(codes, s, (Fraction(0),)))

    def _init_statistic(self, x: torch.Tensor) -> torch.Tensor:
        """LSQ's initial step size: 2 mean|x| / sqrt(qmax) (positive part when unsigned)."""
        v = x.detach()
        if self.dtype.bipolar:
            return v.abs().mean()
        mag = v.abs() if self.dtype.signed else torch.relu(v)
        return 2 * mag.mean() / math.sqrt(self.dtype.max)

    def fold(
        self, mul: Fractions, add: Fractions, where: str | None = None
    ) -> tuple[Fractions, Fractions]:
        """The exact dyadic (mul, add) this layer applies to codes meaning codes * mul + add."""
        scale = single(self.scale.exact(where or type(self).__name__))
        return snap_requant(mul, add, scale, self.multiplier_bits)

    def _requantize(self, ex: ExactValue) -> torch.Tensor:
        mul, add = self.fold(ex.mul, ex.add)
        channels = ex.codes.shape[1]
        pairs = zip(per_channel(mul, channels), per_channel(add, channels), strict=True)
        m, b, s = (list(v) for v in zip(*(dyadic_mulshift(*p) for p in pairs), strict=True))
        return mulshift_codes(ex.codes, m, b, s, self.dtype)


def mulshift_codes(
    codes: torch.Tensor, m: list[int], b: list[int], s: list[int], dtype: IntType
) -> torch.Tensor:
    """clamp(round_half_even((codes * m + b) / 2**s)) per channel, in int64 (exact)."""
    peak = int(codes.abs().max()) if codes.numel() else 0
    if peak * max(map(abs, m)) + max(map(abs, b)) + (1 << max(s)) >= 1 << 62:
        return _mulshift_python(codes, m, b, s, dtype)
    nd = codes.dim()
    acc = codes * as_channel_tensor(m, nd) + as_channel_tensor(b, nd)
    if dtype.bipolar:
        return torch.where(acc >= 0, 1, -1).to(torch.int64)
    shift = as_channel_tensor(s, nd)
    half = torch.where(
        shift > 0, torch.bitwise_left_shift(torch.ones_like(shift), (shift - 1).clamp(min=0)) - 1, 0
    )
    kept_lsb = torch.bitwise_right_shift(acc, shift) & 1
    rounded = torch.bitwise_right_shift(acc + half + torch.where(shift > 0, kept_lsb, 0), shift)
    return torch.clamp(rounded, dtype.min, dtype.max)


def _mulshift_python(
    codes: torch.Tensor, m: list[int], b: list[int], s: list[int], dtype: IntType
) -> torch.Tensor:
    """The same with Python integers, for multipliers too wide for int64."""
    out = torch.empty_like(codes)
    for c in range(codes.shape[1]):
        col = codes[:, c].reshape(-1).tolist()
        vals = []
        for v in col:
            acc = v * m[c] + b[c]
            if dtype.bipolar:
                vals.append(1 if acc >= 0 else -1)
                continue
            q, r = divmod(acc, 1 << s[c])
            q += (2 * r > (1 << s[c])) or (2 * r == (1 << s[c]) and q % 2 == 1)
            vals.append(min(max(q, dtype.min), dtype.max))
        out[:, c] = torch.tensor(vals, dtype=torch.int64).reshape(codes[:, c].shape)
    return out


class QuantInput(Requantizer):
    """Quantizes the network's input: e.g. ``QuantInput(8, scale=1/255)`` for [0, 1] pixels, or
    ``QuantInput(1, signed=True)`` for bipolar inputs. A learned scale when ``scale`` is None.

    Its integer codes are the integer graph's input (see ``QuantInput.codes``).
    """

    def __init__(self, bits: int = 8, signed: bool = False, narrow: bool = False, **kwargs: object):
        super().__init__(bits, signed, narrow, **kwargs)  # type: ignore[arg-type]

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """The integer codes of real inputs ``x``: what the integer graph and hardware receive."""
        return int_codes(x, self.scale.value(), self.dtype)
