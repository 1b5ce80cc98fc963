"""QTensor: the eval-mode carrier of exact integer meaning between layers.

In eval mode, streamfold's layers return a ``QTensor``: an ordinary float tensor (its value is
``dequantize`` of the exact meaning) that also carries ``exact``: the int64 codes and the
per-channel rational ``mul``/``add``. The next streamfold layer computes from ``exact``, never
from the floats, which is why the eval forward equals the integer graph bit for bit. PyTorch's
own BatchNorm, Flatten, MaxPool, Dropout, global average pooling, channel concatenation
(``torch.cat(..., dim=1)``), nearest upsampling by integer factors and PixelShuffle keep the
exact meaning
(handlers below); any other operation returns a plain tensor. In training mode nothing here is used.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from streamfold.ir.graph import Scale
from streamfold.quant.exact import (
    Fractions,
    compose_affine,
    concat_channels,
    expand_flatten,
    fold_batchnorm_values,
)
from streamfold.sim.exact import dequantize


@dataclass(frozen=True)
class ExactValue:
    """codes * mul + add per channel (axis 1); codes are int64."""

    codes: torch.Tensor
    mul: Fractions
    add: Fractions

    @property
    def is_integer(self) -> bool:
        """Plain integer codes with one per-tensor scale: what a MatMul/Conv may consume."""
        return len(self.mul) == 1 and all(a == 0 for a in self.add)


class QTensor(torch.Tensor):
    exact: ExactValue

    @staticmethod
    def make(value: ExactValue) -> QTensor:
        floats = dequantize(value.codes.numpy(), Scale(value.mul, value.add))
        t = torch.from_numpy(floats.astype(np.float32)).as_subclass(QTensor)
        t.exact = value
        return t

    @classmethod
    def __torch_function__(
        cls, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        handler = _HANDLERS.get(func)
        with torch._C.DisableTorchFunctionSubclass():
            if handler is not None:
                result = handler(*args, **kwargs)
                if result is not NotImplemented:
                    return result
            return func(*args, **kwargs)


def exact_of(x: Any) -> ExactValue | None:
    return x.exact if isinstance(x, QTensor) and hasattr(x, "exact") else None


def _batch_norm(
    x: Any,
    running_mean: torch.Tensor | None,
    running_var: torch.Tensor | None,
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Any:
    ex = exact_of(x)
    if ex is None or training or running_mean is None or running_var is None:
        return NotImplemented
    a, c = fold_batchnorm_values(running_mean, running_var, weight, bias, eps, "BatchNorm")
    return QTensor.make(ExactValue(ex.codes, *compose_affine(ex.mul, ex.add, a, c)))


def _flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    ex = exact_of(x)
    if ex is None or start_dim != 1 or end_dim not in (-1, x.dim() - 1):
        return NotImplemented
    spatial = math.prod(ex.codes.shape[2:])
    mul, add = expand_flatten(ex.mul, spatial), expand_flatten(ex.add, spatial)
    return QTensor.make(ExactValue(ex.codes.flatten(1), mul, add))


def _pool(pool: Callable[..., torch.Tensor]) -> Callable[..., Any]:
    def handler(x: Any, *args: Any, **kwargs: Any) -> Any:
        ex = exact_of(x)
        if ex is None or kwargs.get("return_indices") or any(m <= 0 for m in ex.mul):
            return NotImplemented  # max commutes with x * mul + add only for mul > 0
        codes = pool(ex.codes.double(), *args, **kwargs).to(torch.int64)  # exact below 2**53
        return QTensor.make(ExactValue(codes, ex.mul, ex.add))

    return handler


def _global_avg_pool(dims: int) -> Callable[..., Any]:
    """Adaptive average pooling to size 1 over ``dims`` spatial axes (global average pooling).

    The mean of ``codes * mul + add`` over N positions is ``sum(codes) * (mul / N) + add``, so
    the codes become the exact int64 sum (kept as size-1 axes) and ``mul`` is divided by N.
    """

    def handler(x: Any, output_size: Any) -> Any:
        ex = exact_of(x)
        if ex is None or ex.codes.dim() != dims + 2:
            return NotImplemented
        spatial = tuple(ex.codes.shape[2:])
        sizes = output_size if isinstance(output_size, tuple | list) else (output_size,) * dims
        if len(sizes) != dims:
            return NotImplemented
        sizes = tuple(n if s is None else s for s, n in zip(sizes, spatial, strict=True))
        if any(s != 1 for s in sizes):
            return NotImplemented
        n = math.prod(spatial)
        if n == 0:
            return NotImplemented
        axes = tuple(range(2, dims + 2))
        codes = ex.codes.sum(dim=axes, keepdim=True, dtype=torch.int64)
        return QTensor.make(ExactValue(codes, tuple(m / Fraction(n) for m in ex.mul), ex.add))

    return handler


def _cat(tensors: Any, dim: int = 0, *, out: Any = None) -> Any:
    """Concatenation along the channel axis: codes concatenated, each input's meaning kept
    per channel (exact, no rounding)."""
    exacts = [exact_of(t) for t in tensors]
    if out is not None or not exacts or any(e is None for e in exacts):
        return NotImplemented
    values = [e for e in exacts if e is not None]
    ndim = values[0].codes.dim()
    if ndim < 2 or dim % ndim != 1 or any(e.codes.dim() != ndim for e in values):
        return NotImplemented
    channels = [e.codes.shape[1] for e in values]
    mul = concat_channels([e.mul for e in values], channels)
    add = concat_channels([e.add for e in values], channels)
    return QTensor.make(ExactValue(torch.cat([e.codes for e in values], dim=1), mul, add))


def integer_factors(
    spatial: tuple[int, ...], size: Any, scale_factor: Any, mode: str
) -> tuple[int, ...] | None:
    """The per-axis integer factors of a nearest ``F.interpolate`` (``nearest`` and
    ``nearest-exact`` both repeat each pixel ``f`` times for an integer ``f``), or None."""
    dims = len(spatial)
    if mode not in ("nearest", "nearest-exact"):
        return None
    if scale_factor is not None:
        fs = scale_factor if isinstance(scale_factor, tuple | list) else (scale_factor,) * dims
        factors = [float(f) for f in fs]
    elif size is not None:
        sizes = size if isinstance(size, tuple | list) else (size,) * dims
        factors = [s / n for s, n in zip(sizes, spatial, strict=True)]
    else:
        return None
    if len(factors) != dims or any(f != int(f) or f < 1 for f in factors):
        return None
    return tuple(int(f) for f in factors)


def _interpolate(x: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 *args: Any, **kwargs: Any) -> Any:  # fmt: skip
    ex = exact_of(x)
    if ex is None:
        return NotImplemented
    factors = integer_factors(tuple(ex.codes.shape[2:]), size, scale_factor, mode)
    if factors is None:
        return NotImplemented
    codes = ex.codes
    for axis, f in enumerate(factors, start=2):
        codes = codes.repeat_interleave(f, dim=axis)
    return QTensor.make(ExactValue(codes, ex.mul, ex.add))


def shuffled_scale(values: Fractions, channels: int, r: int) -> Fractions | None:
    """Per-channel values after a PixelShuffle of ``channels`` by ``r`` (output channel c merges
    input channels c*r*r .. c*r*r + r*r - 1): None unless those agree."""
    if len(values) == 1:
        return values
    out = [values[c * r * r] for c in range(channels // (r * r))]
    for c, v in enumerate(out):
        if any(values[c * r * r + k] != v for k in range(r * r)):
            return None
    return tuple(out)


def _pixel_shuffle(x: Any, upscale_factor: int) -> Any:
    ex = exact_of(x)
    if ex is None or ex.codes.dim() != 4:
        return NotImplemented
    channels = ex.codes.shape[1]
    mul, add = (shuffled_scale(v, channels, upscale_factor) for v in (ex.mul, ex.add))
    if mul is None or add is None:
        return NotImplemented
    return QTensor.make(ExactValue(F.pixel_shuffle(ex.codes, upscale_factor), mul, add))


def _dropout(x: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    return x if not training and exact_of(x) is not None else NotImplemented


_HANDLERS: dict[Any, Callable[..., Any]] = {
    F.batch_norm: _batch_norm,
    torch.Tensor.flatten: _flatten,
    torch.flatten: _flatten,
    F.max_pool1d: _pool(F.max_pool1d),
    F.max_pool2d: _pool(F.max_pool2d),
    F.adaptive_avg_pool1d: _global_avg_pool(1),
    F.adaptive_avg_pool2d: _global_avg_pool(2),
    F.dropout: _dropout,
    torch.cat: _cat,
    F.interpolate: _interpolate,
    F.pixel_shuffle: _pixel_shuffle,
}
