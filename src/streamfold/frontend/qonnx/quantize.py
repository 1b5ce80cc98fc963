"""Activation quantizers (Quant, BipolarQuant, Trunc, MultiThreshold) as exact IR nodes.

An activation means ``clip(code * mul + add, lo, hi)``. A quantizer computes
``R(clamp(v / divisor))`` with rounding R; since clamping to integer bounds commutes with a
monotone rounding that fixes integers, and ``R(clip(y, a, b)) = clip(R(y), R(a), R(b))``, the
result is the integer range [L, U] = [max(qmin, R(lo)), min(qmax, R(hi))] applied after R.
Half-even rounding onto a type's exact range is a ``Requantize``; every other case (other
rounding modes, unsigned narrow ranges) becomes a ``MultiThreshold`` whose integer thresholds
are computed exactly from the rational mul/add.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from streamfold.errors import FrontendError
from streamfold.frontend.qonnx.values import Act
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.ir.graph import Value
from streamfold.ir.ops import IntArray, MultiThreshold, Op, Requantize
from streamfold.quant.exact import Fractions, per_channel

Emit = Callable[[Op, IntType, Value], Value]
_HALF = Fraction(1, 2)
MAX_THRESHOLD_LEVELS = 1 << 12


def round_fraction(y: Fraction, mode: str) -> int:
    """qonnx's rounding modes on an exact rational."""
    sign = 1 if y >= 0 else -1
    match mode:
        case "ROUND" | "HALF_EVEN":
            return round(y)
        case "FLOOR":
            return math.floor(y)
        case "CEIL":
            return math.ceil(y)
        case "ROUND_TO_ZERO" | "DOWN":
            return math.trunc(y)
        case "UP":
            return sign * math.ceil(abs(y))
        case "HALF_UP":
            return sign * math.floor(abs(y) + _HALF)
        case "HALF_DOWN":
            return sign * math.ceil(abs(y) - _HALF)
    raise AssertionError(mode)


def _cut(v: int, mode: str) -> tuple[Fraction, bool]:
    """(c, strict): R(y) >= v  <=>  y > c (strict) or y >= c."""
    match mode:
        case "FLOOR":
            return Fraction(v), False
        case "CEIL":
            return Fraction(v - 1), True
        case "ROUND_TO_ZERO" | "DOWN":
            return (Fraction(v), False) if v > 0 else (Fraction(v - 1), True)
        case "UP":
            return (Fraction(v - 1), True) if v > 0 else (Fraction(v), False)
        case "ROUND" | "HALF_EVEN":
            return v - _HALF, v % 2 == 1
        case "HALF_UP":
            return v - _HALF, v <= 0
        case "HALF_DOWN":
            return v - _HALF, v > 0
    raise AssertionError(mode)


def threshold(mul: Fraction, add: Fraction, v: int, mode: str) -> int:
    """The least integer x with R(x * mul + add) >= v, for mul > 0."""
    c, strict = _cut(v, mode)
    bound = (c - add) / mul
    return math.floor(bound) + 1 if strict else math.ceil(bound)


def quantize(
    where: str,
    act: Act,
    divisor: Fractions,
    qrange: tuple[int, int] | None,
    mode: str,
    out_mul: Fractions,
    emit: Emit,
    input_range: Callable[[], tuple[int, int]],
) -> Act:
    """R(clamp(act / divisor, qrange)) as a new activation meaning code * out_mul.

    ``qrange`` None (Trunc v1) takes the range the input can actually reach.
    """
    if any(d <= 0 for d in divisor):
        raise FrontendError(f"{where}: scale must be positive, not {min(divisor)}")
    y = act.affine(tuple(1 / d for d in divisor), (Fraction(0),))
    if qrange is None:
        qrange = _reachable(y, mode, input_range())
    lo, hi = _range(where, y, qrange, mode)
    if hi <= lo:
        raise FrontendError(f"{where}: output range must hold two values, not [{lo}, {hi}]")
    if mode in ("ROUND", "HALF_EVEN") and act.slope is None:
        t = _type_with_range(lo, hi)
        if t is not None:
            out = emit(Requantize(y.mul, y.add), t, act.value)
            return Act(out, out_mul, (Fraction(0),))
    return _thresholds(where, y, lo, hi, mode, out_mul, emit, input_range)


def bipolar(where: str, act: Act, scale: Fractions, emit: Emit) -> Act:
    """+1 where act / scale >= 0 else -1 (BipolarQuant, and 1-bit signed Quant)."""
    if any(s <= 0 for s in scale):
        raise FrontendError(f"{where}: scale must be positive, not {min(scale)}")
    if act.clipped:
        raise FrontendError(f"{where}: a Relu/Clip before a bipolar quantizer is not supported")
    if act.slope is not None and any(a == 0 for a in act.slope):
        raise FrontendError(f"{where}: a PRelu slope of 0 before a bipolar quantizer")
    # a positive slope keeps every sign: the bipolar result is that of its input
    out = emit(Requantize(act.mul, act.add), BIPOLAR, act.value)
    return Act(out, scale, (Fraction(0),))


def _reachable(y: Act, mode: str, x: tuple[int, int]) -> tuple[int, int]:
    n = max(len(y.mul), len(y.add))
    ends = [
        round_fraction(xv * m + a, mode)
        for m, a in zip(per_channel(y.mul, n), per_channel(y.add, n), strict=True)
        for xv in x
    ]
    return min(ends), max(ends)


def _range(where: str, y: Act, qrange: tuple[int, int], mode: str) -> tuple[int, int]:
    los = {max(qrange[0], qrange[0] if b is None else round_fraction(b, mode)) for b in y.lo}
    his = {min(qrange[1], qrange[1] if b is None else round_fraction(b, mode)) for b in y.hi}
    if len(los) != 1 or len(his) != 1:
        raise FrontendError(f"{where}: a Relu/Clip before it must give the same range per channel")
    return los.pop(), his.pop()


def _type_with_range(lo: int, hi: int) -> IntType | None:
    bits = max(1, hi.bit_length())
    if lo == 0 and hi == (1 << bits) - 1:
        return IntType(bits, False)
    bits = hi.bit_length() + 1
    if hi == (1 << (bits - 1)) - 1 and lo in (-(1 << (bits - 1)), -hi) and bits >= 2:
        return IntType(bits, True, narrow=lo == -hi)
    return None


def count_thresholds(
    m: Fraction, a: Fraction, cuts: list[tuple[Fraction, bool]], x_lo: int, x_hi: int
) -> tuple[list[int], bool]:
    """Ascending integer thresholds for count_k[x * m + a >= c_k] (> where strict), x in range.

    For m < 0 each comparison is ``x <= b_k``, so the count is ``len(cuts) - count_k[x >=
    b_k + 1]``: returns those thresholds and True (the caller flips the output's affine map).
    Thresholds are clamped to [x_lo, x_hi + 1] (always / never reached).
    """
    ts = []
    for c, strict in cuts:
        if m == 0:
            t = x_lo if (a > c if strict else a >= c) else x_hi + 1
        elif m > 0:
            bound = (c - a) / m
            t = math.floor(bound) + 1 if strict else math.ceil(bound)
        else:
            bound = (c - a) / m
            t = (math.ceil(bound) - 1 if strict else math.floor(bound)) + 1
        ts.append(min(max(t, x_lo), x_hi + 1))
    return sorted(ts), m < 0


def _thresholds(
    where: str,
    y: Act,
    lo: int,
    hi: int,
    mode: str,
    out_mul: Fractions,
    emit: Emit,
    input_range: Callable[[], tuple[int, int]],
) -> Act:
    bits = max(1, (hi - lo).bit_length())
    if (1 << bits) > MAX_THRESHOLD_LEVELS:
        raise FrontendError(f"{where}: output range must be at most 12 bits here, not {bits}")
    x_lo, x_hi = input_range()
    cuts = [_cut(v, mode) for v in range(lo + 1, hi + 1)]
    n = max(len(y.mul), len(y.add), len(out_mul))
    rows, mul, add = [], [], []
    n = max(n, len(y.slope or ()))
    slopes = per_channel(y.slope, n) if y.slope is not None else (None,) * n
    channels = zip(*(per_channel(v, n) for v in (y.mul, y.add, out_mul)), slopes, strict=True)
    for m, a, om, slope in channels:
        row, flipped = leaky_thresholds(m, a, cuts, slope, x_lo, x_hi)
        rows.append(row + [x_hi + 1] * ((1 << bits) - 1 - len(row)))  # pad unused levels
        mul.append(-om if flipped else om)
        add.append(hi * om if flipped else lo * om)
    out = emit(MultiThreshold(IntArray(rows)), IntType(bits, False), y.value)
    return Act(out, tuple(mul), tuple(add))


def leaky_cut(c: Fraction, strict: bool, slope: Fraction) -> tuple[Fraction, bool] | None:
    """f(y) >= c (> where strict) as y >= c' (> where strict'), for the LeakyRelu
    f(y) = y if y >= 0 else slope * y with slope >= 0; None where it always holds."""
    if c > 0 or (c == 0 and (strict or slope > 0)):
        return c, strict
    if slope == 0:
        return None  # f(y) >= 0 > c (or >= c = 0) everywhere
    return c / slope, strict


def leaky_thresholds(
    m: Fraction,
    a: Fraction,
    cuts: list[tuple[Fraction, bool]],
    slope: Fraction | None,
    x_lo: int,
    x_hi: int,
) -> tuple[list[int], bool]:
    """``count_thresholds`` of cuts on f(x * m + a); f the identity where ``slope`` is None.

    A cut that always holds gets threshold x_lo (counted), or x_hi + 1 where the count is
    flipped (then the caller counts the cuts that do not hold)."""
    if slope is None:
        return count_thresholds(m, a, cuts, x_lo, x_hi)
    warped = [leaky_cut(c, strict, slope) for c, strict in cuts]
    real = [w for w in warped if w is not None]
    row, flipped = count_thresholds(m, a, real, x_lo, x_hi)
    always = len(warped) - len(real)
    return (sorted(row + [x_hi + 1] * always) if flipped else [x_lo] * always + row), flipped
