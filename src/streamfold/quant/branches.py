"""Layers that join two or more activations: a residual add (QuantAdd) and a channel concat.

Both keep eval mode exact. ``QuantAdd`` requantizes the sum of its inputs: their scales are
aligned with small integers and the output multiplier snapped to a dyadic fraction
(``quant.exact.snap_add``), so the integer graph's ``Add`` then ``Requantize`` gives the same
codes. ``QuantConcat`` (or ``torch.cat`` along channels) concatenates codes and keeps each
input's meaning per channel: no rounding at all; a weight layer after it needs one scale for
all channels, so share a scale or put a Requantizer after the concat.
"""

from __future__ import annotations

from fractions import Fraction

import torch
from torch import nn

from streamfold.errors import QuantError
from streamfold.quant.exact import Fractions, per_channel, snap_add
from streamfold.quant.qtensor import ExactValue, QTensor, exact_of
from streamfold.quant.requantizer import Requantizer, mulshift_codes
from streamfold.quant.scale import single
from streamfold.transforms.lower_requantize import dyadic_mulshift


def _plain(x: torch.Tensor) -> torch.Tensor:
    return x.as_subclass(torch.Tensor) if isinstance(x, QTensor) else x


class QuantAdd(nn.Module):
    """y = Requantizer(a + b): a residual add of two quantized activations, quantized again.

    ``bits``, ``signed``, ``narrow``, ``scale`` and ``multiplier_bits`` are the output
    Requantizer's (``self.out``). In eval mode each input must carry one per-tensor scale:
    the output of a QuantInput, Requantizer or QuantAdd (see ``fold``). Training, or fed plain
    real tensors, it is ``Requantizer(a + b)`` on the floats.
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
        self.out = Requantizer(
            bits,
            signed,
            narrow,
            scale=scale,
            multiplier_bits=multiplier_bits,
            init_batches=init_batches,
        )

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        ea, eb = exact_of(a), exact_of(b)
        if self.training or ea is None or eb is None:
            return self.out(_plain(a) + _plain(b))  # type: ignore[no-any-return]
        where = type(self).__name__
        if ea.codes.shape != eb.codes.shape:
            raise QuantError(
                f"{where}: inputs must have equal shapes, "
                f"not {list(ea.codes.shape)} and {list(eb.codes.shape)}"
            )
        factors, mul, add = self.fold((ea.mul, eb.mul), (ea.add, eb.add), where)
        peak = max(int(v.codes.abs().max()) if v.codes.numel() else 0 for v in (ea, eb))
        if peak * sum(map(abs, factors)) >= 1 << 62:
            raise QuantError(f"{where}: the aligned sum must stay below 2**62")
        acc = ea.codes * factors[0] + eb.codes * factors[1]
        channels = acc.shape[1]
        pairs = [dyadic_mulshift(mul, a) for a in per_channel(add, channels)]
        m, bias, s = (list(v) for v in zip(*pairs, strict=True))
        codes = mulshift_codes(acc, m, bias, s, self.out.dtype)
        return QTensor.make(ExactValue(codes, self.out.scale.exact(where), (Fraction(0),)))

    def fold(
        self, muls: tuple[Fractions, ...], adds: tuple[Fractions, ...], where: str
    ) -> tuple[tuple[int, ...], Fraction, Fractions]:
        """(integer factors, Requantize mul, Requantize add per channel) for inputs meaning
        ``codes_i * muls[i] + adds[i]``: the exact integer form of this layer.

        Each input's multiplier must be one per-tensor value (a quantized activation); per
        channel offsets (e.g. a BatchNorm's shift) are allowed and go into the add.
        """
        for i, m in enumerate(muls):
            if len(m) != 1 or m[0] == 0:
                raise QuantError(
                    f"{where}: input {i} must be a quantized activation with one nonzero scale, "
                    f"not {len(m)} per-channel scales; put a Requantizer before the add"
                )
        scale = single(self.out.scale.exact(where))
        return snap_add(tuple(m[0] for m in muls), adds, scale, self.out.multiplier_bits)


class QuantConcat(nn.Module):
    """Concatenation along the channel axis (``torch.cat(xs, dim=1)``), exact in eval mode."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=1)
