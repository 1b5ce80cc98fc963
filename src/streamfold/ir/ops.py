"""The IR's operations: frozen dataclasses forming one closed union, ``Op``.

Shapes are per sample (no batch dimension); the channel axis is axis 0 (``[C]``, ``[C, L]`` or
``[C, H, W]``). Per-channel parameters have one entry per channel, or one entry for all.
Each op's meaning is defined by ``streamfold.sim.exact``, the reference every backend matches.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.errors import IRError
from streamfold.ir.dtypes import IntType


class IntArray:
    """An immutable integer array (weights, thresholds) with value equality and a stable hash."""

    __slots__ = ("_a",)

    def __init__(self, values: Any) -> None:
        a = np.array(values, dtype=object if _needs_object(values) else np.int64)
        if a.dtype != object and not np.issubdtype(a.dtype, np.integer):
            raise IRError(f"IntArray: values must be integers, not {a.dtype}")
        a.flags.writeable = False
        self._a = a

    @property
    def array(self) -> npt.NDArray[Any]:
        return self._a

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._a.shape)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, IntArray)
            and self.shape == other.shape
            and bool(np.array_equal(self._a, other._a))
        )

    def __hash__(self) -> int:
        return hash((self.shape, self.digest()))

    def digest(self) -> str:
        text = ",".join(str(int(v)) for v in self._a.ravel())
        return hashlib.sha256(f"{self.shape}:{text}".encode()).hexdigest()[:12]

    def __repr__(self) -> str:
        return f"IntArray(shape={self.shape}, sha={self.digest()})"


def _needs_object(values: Any) -> bool:
    """True when Python ints in ``values`` do not fit int64."""
    if isinstance(values, np.ndarray) and values.dtype != object:
        return False
    flat = np.array(values, dtype=object).ravel()
    return any(isinstance(v, int) and not -(2**63) <= v < 2**63 for v in flat)


@dataclass(frozen=True, slots=True)
class MatMul:
    """y[o] = sum_i weight[o, i] * x[i]; x is ``[in_features]``, weight ``[out, in]``."""

    weight: IntArray
    weight_dtype: IntType


@dataclass(frozen=True, slots=True)
class Conv:
    """Cross-correlation (PyTorch's Conv1d/Conv2d, zero padding, no dilation).

    weight is ``[out_channels, in_channels // groups, *kernel_size]``; x is
    ``[in_channels, *spatial]``. With ``groups`` g, input and output channels split into g
    consecutive blocks and output block j reads input block j only (g = in_channels with one
    weight row per channel: a depthwise convolution).
    """

    weight: IntArray
    weight_dtype: IntType
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    groups: int = 1


@dataclass(frozen=True, slots=True)
class MaxPool:
    """Max over ``kernel_size`` windows moved by ``stride`` (no padding, floor mode)."""

    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class GlobalSumPool:
    """Per-channel sum over every spatial position: ``[C, *spatial]`` to ``[C, 1, ...]``.

    A global *average* pool is this sum with ``1 / positions`` carried by the scale, so the
    integer graph stays exact.
    """


@dataclass(frozen=True, slots=True)
class Upsample:
    """Nearest-neighbour upsampling by an integer factor per spatial axis (``scale``, one per
    axis, each >= 1): ``[C, *spatial]`` to ``[C, *(d * f)]``, ``y[c, i, j] = x[c, i // f_h,
    j // f_w]`` (ONNX Resize nearest with integer scales, PyTorch's nn.Upsample nearest)."""

    scale: tuple[int, ...]


class DepthToSpaceMode(enum.Enum):
    """Channel order of a DepthToSpace input (ONNX's ``mode``)."""

    DCR = "DCR"  # depth-column-row: input channel (i * b + j) * C + c
    CRD = "CRD"  # column-row-depth: input channel c * b * b + i * b + j (PyTorch PixelShuffle)


@dataclass(frozen=True, slots=True)
class DepthToSpace:
    """``[C * b * b, H, W]`` to ``[C, H * b, W * b]`` with ``b = block_size`` (ONNX
    DepthToSpace): ``y[c, h * b + i, w * b + j] = x[k, h, w]`` with ``k = (i * b + j) * C + c``
    in DCR mode and ``k = c * b * b + i * b + j`` in CRD mode."""

    block_size: int
    mode: DepthToSpaceMode


@dataclass(frozen=True, slots=True)
class Flatten:
    """``[C, *spatial]`` to ``[C * prod(spatial)]``, row-major (PyTorch's Flatten)."""


@dataclass(frozen=True, slots=True)
class Add:
    """Elementwise weighted sum of equally shaped inputs: ``y = sum_i factors[i] * x_i``.

    One small integer factor per input aligns inputs at different scales exactly (a residual
    add: ``a * m_a + b * m_b = (a * k_a + b * k_b) * g`` with integers k and a common g, which
    the following Requantize carries). Takes ``len(factors)`` >= 2 inputs.
    """

    factors: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Concat:
    """Concatenation of >= 2 inputs along the channel axis (axis 0); the other axes agree."""


@dataclass(frozen=True, slots=True)
class Requantize:
    """y = clamp(round_half_even(x * mul + add)) to the output type; exact rational scales.

    For a bipolar output type y = +1 where x * mul + add >= 0, else -1. Streamlining lowers this
    op to MultiThreshold or MulShift, which compute the same integers with integers only.
    """

    mul: tuple[Fraction, ...]
    add: tuple[Fraction, ...]


@dataclass(frozen=True, slots=True)
class MultiThreshold:
    """y = the output type's value of level ``count_k(x >= thresholds[c, k])``.

    thresholds is ``[channels or 1, levels - 1]``, ascending along the last axis.
    """

    thresholds: IntArray


@dataclass(frozen=True, slots=True)
class MulShift:
    """y = clamp(round_half_even((x * multiplier + bias) / 2**shift)), integers per channel.

    For a bipolar output type y = +1 where x * multiplier + bias >= 0, else -1.
    """

    multiplier: tuple[int, ...]
    bias: tuple[int, ...]
    shift: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Mvau:
    """Hardware kernel: matrix-vector-activation unit, a MatMul with optionally fused thresholds.

    y = MultiThreshold(thresholds)(W x) when thresholds is given, MulShift(multiplier, bias,
    shift)(W x) when multiplier is not empty, else the accumulator W x.
    weight is ``[out, in]``. With ``per_pixel`` the input is ``[in, *spatial]`` (the windows of a
    SlidingWindow) and W applies at every pixel, ``y[:, p] = W x[:, p]``, giving
    ``[out, *spatial]``: a convolution as im2col. Without it W applies to the whole input taken
    channels-last (spatial positions in row-major order, channels fastest: the stream order)
    and gives ``[out]``; this is how a fully connected layer consumes a feature map without a
    Flatten (for a 1-D input, that is the plain matrix-vector product).
    """

    weight: IntArray
    weight_dtype: IntType
    thresholds: IntArray | None
    per_pixel: bool = False
    # The multiply-shift output stage instead of thresholds (MulShift's meaning on W x, one
    # entry per output row or one for all); empty: none.
    multiplier: tuple[int, ...] = ()
    bias: tuple[int, ...] = ()
    shift: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Vvau:
    """Hardware kernel: vector-vector-activation unit, a depthwise convolution per pixel.

    The input is the windows of a SlidingWindow, ``[K * C, *spatial]`` with channel index
    ``k * C + c`` (k the window position, ``(k_y, k_x)`` row-major); weight is ``[C, K]`` and
    ``y[c, p] = sum_k weight[c, k] * x[k * C + c, p]``, giving ``[C, *spatial]``; then
    MultiThreshold(thresholds) when given (as for Mvau).
    """

    weight: IntArray
    weight_dtype: IntType
    thresholds: IntArray | None


@dataclass(frozen=True, slots=True)
class Thresholding:
    """Hardware kernel: a standalone MultiThreshold (same meaning)."""

    thresholds: IntArray


@dataclass(frozen=True, slots=True)
class Pad:
    """Pad every channel of ``[C, *spatial]`` with ``value`` (an nn op and a kernel: the
    importer puts one before a Conv whose input's real zero is a non-zero code).

    ``pads`` is (before, after) for each spatial axis in turn: ``(top, bottom, left, right)``
    in 2-D, ``(left, right)`` in 1-D.
    """

    pads: tuple[int, ...]
    value: int


@dataclass(frozen=True, slots=True)
class SlidingWindow:
    """Hardware kernel: the windows of a convolution (im2col), ``[C, *spatial]`` to
    ``[K_h * K_w * C, *out_spatial]``: output channel ``(k_y * K_w + k_x) * C + c`` at output
    pixel ``(o_y, o_x)`` is ``x[c, o_y * S_h + k_y, o_x * S_w + k_x]`` of ``x`` padded by
    ``pads`` with ``value`` (as ``Pad``; empty: no padding, and a Pad comes first, as the
    lowering makes it; ``transforms.fold_pad_into_window`` moves a Pad in for multi-sample
    windows). Channels-last, each output pixel is its window in ``(k_h, k_w, c)`` order.
    """

    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    pads: tuple[int, ...] = ()
    value: int = 0


@dataclass(frozen=True, slots=True)
class PeakPick:
    """Hardware kernel: the peaks of a 1-D score ``[1, L]`` as ``max_peaks`` records
    ``[4, max_peaks]`` (fields position, score, num, den; see ``streamfold.hw.peakpick``).

    Sample ``i`` (1 <= i <= L - 2) is a candidate if ``s[i-1] < s[i] >= s[i+1]`` and
    ``s[i] >= threshold``; a candidate is kept unless another within ``min_distance - 1``
    samples is stronger (a higher score, or the same score further left). The first
    ``max_peaks`` kept, by position, are the records; the parabola through the three scores
    has its vertex at ``position + num / den``; unused records are all zero (``den`` 0).
    """

    threshold: int
    min_distance: int
    max_peaks: int


Op = (
    MatMul
    | Conv
    | MaxPool
    | GlobalSumPool
    | Upsample
    | DepthToSpace
    | Flatten
    | Requantize
    | MultiThreshold
    | MulShift
    | Mvau
    | Thresholding
    | Pad
    | SlidingWindow
    | Add
    | Concat
    | Vvau
    | PeakPick
)
OP_TYPES: tuple[type, ...] = (
    MatMul,
    Conv,
    MaxPool,
    GlobalSumPool,
    Upsample,
    DepthToSpace,
    Flatten,
    Requantize,
    MultiThreshold,
    MulShift,
    Mvau,
    Thresholding,
    Pad,
    SlidingWindow,
    Add,
    Concat,
    Vvau,
    PeakPick,
)
KERNEL_TYPES: tuple[type, ...] = (Mvau, Thresholding, SlidingWindow, Vvau, PeakPick)
"""Ops that exist only in kernel graphs (made by ``lower_to_kernels``)."""
STREAM_TYPES: tuple[type, ...] = (MaxPool, GlobalSumPool, Pad, Upsample, DepthToSpace, MulShift)
"""nn ops that are hardware kernels as they are: kept by ``lower_to_kernels``."""
MULTI_INPUT_TYPES: tuple[type, ...] = (Add, Concat)
"""Ops reading several values (a DAG's joins); every other op reads exactly one."""


def input_count(op: Op) -> int | None:
    """How many inputs ``op`` reads: exactly that many, or None for "two or more" (Concat)."""
    if isinstance(op, Add):
        return len(op.factors)
    if isinstance(op, Concat):
        return None
    return 1
