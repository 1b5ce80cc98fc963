"""Interval analysis: the exact range of each integer op's output, from its actual constants.

This is what makes accumulator types minimal and safe: a MatMul's output range is computed from
the real weights and the input type's extremes, so no input can overflow the type chosen.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.ops import (
    Add,
    Concat,
    Conv,
    DepthToSpace,
    Flatten,
    GlobalSumPool,
    MatMul,
    MaxPool,
    Mvau,
    Op,
    Pad,
    PeakPick,
    SlidingWindow,
    Upsample,
    Vvau,
)


def dot_interval(weight: npt.NDArray[Any], x_lo: int, x_hi: int) -> tuple[int, int]:
    """Range of ``weight[o] . x`` over all o and all x with entries in [x_lo, x_hi].

    ``weight`` is ``[out, ...]``; each output's extremes pick, per weight, the input extreme
    that minimises or maximises the product.
    """
    w = weight.reshape(weight.shape[0], -1)
    w_max = max(abs(int(w.min())), abs(int(w.max()))) if w.size else 0
    bound = w_max * max(abs(x_lo), abs(x_hi)) * w.shape[1]
    # exact in int64 when no sum can overflow; Python integers (object) otherwise
    w = w.astype(np.int64) if bound < 1 << 62 else w.astype(object)
    lo_terms = np.minimum(w * x_lo, w * x_hi)
    hi_terms = np.maximum(w * x_lo, w * x_hi)
    return int(lo_terms.sum(axis=1).min()), int(hi_terms.sum(axis=1).max())


def output_interval(
    op: Op, x: IntType, shape: tuple[int, ...] | None = None
) -> tuple[int, int] | None:
    """The exact output range of an accumulating or shape op; None for ops with a declared type.

    ``shape`` is the input shape (needed by GlobalSumPool: its range grows with the positions).
    """
    match op:
        case MatMul():
            return dot_interval(op.weight.array, x.min, x.max)
        case Mvau() if op.thresholds is None and not op.multiplier:
            return dot_interval(op.weight.array, x.min, x.max)
        case Vvau() if op.thresholds is None:
            return dot_interval(op.weight.array, x.min, x.max)
        case Conv():
            # Zero padding feeds zeros into border windows: include 0 among the inputs.
            pad = any(p > 0 for p in op.padding)
            lo, hi = (min(x.min, 0), max(x.max, 0)) if pad else (x.min, x.max)
            return dot_interval(op.weight.array, lo, hi)
        case SlidingWindow() if op.pads:
            return min(x.min, op.value), max(x.max, op.value)
        case MaxPool() | Flatten() | SlidingWindow() | Upsample() | DepthToSpace():
            return x.min, x.max
        case Pad():
            return min(x.min, op.value), max(x.max, op.value)
        case GlobalSumPool():
            if shape is None:
                return None
            n = math.prod(shape[1:])  # positions summed
            return n * x.min, n * x.max
        case PeakPick():
            return None if shape is None else peak_record_range(shape[-1], x)
    return None


def peak_record_range(length: int, x: IntType) -> tuple[int, int]:
    """Every field of a PeakPick record: positions 0 .. length - 1, scores, ``num`` in
    ``-(max - min) .. max - min``, ``den`` in ``0 .. 4 (max - min)``."""
    span = x.max - x.min
    return min(x.min, -span), max(length - 1, x.max, 4 * span)


def join_interval(op: Op, xs: tuple[IntType, ...]) -> tuple[int, int] | None:
    """The exact output range of a multi-input op (Add, Concat) from its input types."""
    match op:
        case Add():
            terms = [(k * x.min, k * x.max) for k, x in zip(op.factors, xs, strict=True)]
            return sum(min(t) for t in terms), sum(max(t) for t in terms)
        case Concat():
            return min(x.min for x in xs), max(x.max for x in xs)
    return None


def join_type(op: Op, xs: tuple[IntType, ...]) -> IntType | None:
    """The output type of a multi-input op: a Concat of inputs of one type keeps it, otherwise
    the narrowest type holding ``join_interval``; None for an op that is not a join."""
    if isinstance(op, Concat) and all(x == xs[0] for x in xs):
        return xs[0]
    interval = join_interval(op, xs)
    return None if interval is None else narrowest(*interval)
