"""What flows between ONNX nodes during import: constants, quantized constants, activations."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from streamfold.errors import FrontendError
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.ir.graph import Value
from streamfold.quant.exact import Fractions, per_channel

T = TypeVar("T")

Array = npt.NDArray[Any]
Bound = tuple[Fraction | None, ...]


@dataclass(frozen=True)
class QConst:
    """A quantized constant (weights): integer codes, float32 scale, and its dequantized value."""

    codes: Array
    scale: Array
    dtype: IntType
    value: Array


@dataclass(frozen=True)
class Host:
    """A tensor computed from the float model input before the first quantizer (host side).

    ``sample`` is its value for an all-zero input of the declared shape (gives shapes).
    """

    sample: Array


@dataclass(frozen=True)
class Act:
    """An activation: IR integer ``value`` whose real meaning is clip(code * mul + add, lo, hi).

    mul, add, lo, hi are per channel (axis 0 of the IR shape), one entry or one per channel;
    lo/hi None mean unbounded (a pending Relu/Clip). ``slope`` is a pending LeakyRelu/PRelu
    after the clip (only a quantizer may read it: it becomes exact thresholds).

    ``layout`` says where the IR axes are in the ONNX tensor: per ONNX axis, the IR axis it
    holds, or -1 for a size-1 axis of ONNX only (the batch axis 0, an Unsqueeze). IR axes it
    does not list have size 1 (a Squeeze). None is the canonical ``[1, *IR shape]`` layout;
    Transposes and size-1 reshapes only change the layout, never the IR value.
    """

    value: Value
    mul: Fractions
    add: Fractions
    lo: Bound = (None,)
    hi: Bound = (None,)
    layout: tuple[int, ...] | None = None
    slope: Fractions | None = None  # a pending LeakyRelu/PRelu: v if v >= 0 else slope * v

    @property
    def axes(self) -> tuple[int, ...]:
        return (-1, *range(len(self.value.shape))) if self.layout is None else self.layout

    @property
    def canonical(self) -> bool:
        return self.axes == (-1, *range(len(self.value.shape)))

    @property
    def onnx_shape(self) -> tuple[int, ...]:
        return tuple(1 if a < 0 else self.value.shape[a] for a in self.axes)

    @property
    def channel_axis(self) -> int | None:
        """The ONNX axis holding the IR channels (None: squeezed away, one channel)."""
        return self.axes.index(0) if 0 in self.axes else None

    def constant(self, c: Array, where: str, what: str) -> Fractions:
        """A constant operand of this activation, one exact value per channel (or one)."""
        return channel_values(c, self.onnx_shape, where, what, self.channel_axis)

    def with_layout(self, axes: tuple[int, ...]) -> Act:
        canonical = axes == (-1, *range(len(self.value.shape)))
        return replace(self, layout=None if canonical else axes)

    @property
    def channels(self) -> int:
        return self.value.shape[0]

    @property
    def clipped(self) -> bool:
        return any(v is not None for v in self.lo + self.hi)

    def affine(self, a: Fractions, c: Fractions) -> Act:
        """clip(v) * a + c per channel; negative a swaps the clip bounds."""
        n = max(len(self.mul), len(self.add), len(a), len(c), len(self.lo), len(self.hi))
        mul, add, a, c = (per_channel(v, n) for v in (self.mul, self.add, a, c))
        lo, hi = _per(self.lo, n), _per(self.hi, n)
        new_lo, new_hi = [], []
        for i in range(n):
            bounds = [None if b is None else b * a[i] + c[i] for b in (lo[i], hi[i])]
            new_lo.append(bounds[0] if a[i] > 0 else bounds[1])
            new_hi.append(bounds[1] if a[i] > 0 else bounds[0])
        return replace(
            self,
            mul=tuple(m * ai for m, ai in zip(mul, a, strict=True)),
            add=tuple(d * ai + ci for d, ai, ci in zip(add, a, c, strict=True)),
            lo=_compact(tuple(new_lo)),
            hi=_compact(tuple(new_hi)),
        )

    def clip(self, lo: Fraction | None, hi: Fraction | None) -> Act:
        n = max(len(self.lo), len(self.hi))
        new_lo = tuple(_max(b, lo) for b in _per(self.lo, n))
        new_hi = tuple(_min(b, hi) for b in _per(self.hi, n))
        return replace(self, lo=_compact(new_lo), hi=_compact(new_hi))


def _per(values: tuple[T, ...], n: int) -> tuple[T, ...]:
    return values if len(values) == n else values * n


def _compact(b: Bound) -> Bound:
    return b[:1] if all(v == b[0] for v in b) else b


def _max(a: Fraction | None, b: Fraction | None) -> Fraction | None:
    return b if a is None else a if b is None else max(a, b)


def _min(a: Fraction | None, b: Fraction | None) -> Fraction | None:
    return b if a is None else a if b is None else min(a, b)


def exact(value: float, where: str, what: str) -> Fraction:
    if not math.isfinite(value):
        raise FrontendError(f"{where}: {what} must be finite, not {value}")
    return Fraction(float(value))


def channel_values(
    c: Array, act_shape: tuple[int, ...], where: str, what: str, axis: int | None = 1
) -> Fractions:
    """A constant broadcast against an activation, as one exact value per channel (ONNX axis
    ``axis``; None: one channel) or one for all."""
    c = np.asarray(c)
    try:
        full = np.broadcast_to(c, np.broadcast_shapes(c.shape, act_shape))
    except ValueError:
        raise FrontendError(
            f"{where}: {what} of shape {list(c.shape)} must broadcast to {list(act_shape)}"
        ) from None
    if full.shape != act_shape:
        raise FrontendError(
            f"{where}: {what} must not change the shape {list(act_shape)}, not {list(full.shape)}"
        )
    if axis is None or full.ndim <= axis:
        per = full.reshape(1, -1)
    else:
        per = np.moveaxis(full, axis, 0).reshape(act_shape[axis], -1)
    if not (per == per[:, :1]).all():
        raise FrontendError(f"{where}: {what} must be constant within each channel (axis {axis})")
    col = per[:, 0]
    values = tuple(exact(float(v), where, what) for v in col)
    return values[:1] if all(v == values[0] for v in values) else values


def weight_dtype(bits: int, signed: bool, narrow: bool) -> IntType:
    """IR type holding a quantizer's codes (unsigned narrow widens to the plain range)."""
    if signed and bits == 1:
        return BIPOLAR
    return IntType(bits, signed, narrow=narrow and signed and bits >= 2)


def integer_const(c: Array, where: str) -> QConst:
    """A float constant used as weights: allowed when every entry is an integer."""
    if not np.issubdtype(c.dtype, np.number) or not (np.abs(c) < 2.0**31).all():
        raise FrontendError(f"{where}: weights must be finite numbers below 2**31")
    if not (np.round(c) == c).all():
        raise FrontendError(
            f"{where}: weights must be quantized (Quant/BipolarQuant) or integer-valued"
        )
    codes = c.astype(np.int64)
    lo, hi = int(codes.min(initial=0)), int(codes.max(initial=0))
    bits = max((-lo - 1).bit_length(), hi.bit_length()) + 1
    return QConst(codes, np.ones((), np.float32), IntType(bits, True), c)


@dataclass(frozen=True)
class Tail:
    """A final Softmax/LogSoftmax/TopK/ArgMax over the channel axis: the graph stops before it
    and outputs the logits; the host applies it (after ``prior``, a Softmax before a TopK).

    Softmax and LogSoftmax compute in float32 as ONNX Runtime does (subtract the maximum,
    exponentiate, sum). TopK keeps the ``k`` largest entries (ArgMax: k = 1), their indices or
    their values; ties resolve to the lower index, as NumPy's stable sort and ONNX Runtime do.
    """

    op_type: str
    k: int
    indices: bool
    prior: Tail | None = None

    def apply(self, real: Array) -> Array:
        x = np.asarray(real if self.prior is None else self.prior.apply(real))
        if self.op_type in ("Softmax", "LogSoftmax"):
            shifted = x.astype(np.float32) - x.astype(np.float32).max(axis=1, keepdims=True)
            total = np.exp(shifted).sum(axis=1, keepdims=True, dtype=np.float32)
            if self.op_type == "LogSoftmax":
                return np.asarray(shifted - np.log(total))
            return np.asarray(np.exp(shifted) / total)
        order = np.argsort(-x, axis=1, kind="stable")[:, : self.k]
        return order if self.indices else np.asarray(np.take_along_axis(x, order, 1))
