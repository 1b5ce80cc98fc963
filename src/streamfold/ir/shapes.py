"""Per-sample output shapes of each op (channel axis first, no batch axis)."""

from __future__ import annotations

import math

from streamfold.errors import IRError
from streamfold.ir.ops import (
    Add,
    Concat,
    Conv,
    DepthToSpace,
    Flatten,
    GlobalSumPool,
    MatMul,
    MaxPool,
    MulShift,
    MultiThreshold,
    Mvau,
    Op,
    Pad,
    PeakPick,
    Requantize,
    SlidingWindow,
    Thresholding,
    Upsample,
    Vvau,
)


def _window_out(size: int, kernel: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


def _check_window(
    op: str,
    dims: int,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
) -> None:
    if dims not in (1, 2):
        raise IRError(f"{op}: must have 1 or 2 spatial axes, not {dims}")
    for name, values, least in (
        ("kernel", kernel, 1),
        ("stride", stride, 1),
        ("padding", padding, 0),
    ):
        if len(values) != dims or min(values) < least:
            raise IRError(f"{op}: {name} must be {dims} integers >= {least}, not {values}")


def _windows(
    op: str, shape: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...]
) -> tuple[int, ...]:
    """Output spatial dims of unpadded windows over ``[C, *spatial]`` (floor mode)."""
    dims = len(kernel)
    if len(shape) != dims + 1:
        raise IRError(f"{op}: input must have {dims} spatial axes, not {shape}")
    _check_window(op, dims, kernel, stride, (0,) * dims)
    spatial = tuple(
        _window_out(s, k, st, 0) for s, k, st in zip(shape[1:], kernel, stride, strict=True)
    )
    if min(spatial) < 1:
        raise IRError(f"{op}: kernel {kernel} must fit the input {shape[1:]}")
    return spatial


def _padded(op: str, shape: tuple[int, ...], pads: tuple[int, ...]) -> tuple[int, ...]:
    """``[C, *spatial]`` padded by ``pads``: (before, after) per spatial axis."""
    dims = len(shape) - 1
    if dims not in (1, 2) or len(pads) != 2 * dims or min(pads) < 0:
        raise IRError(f"{op}: pads must be {2 * dims} integers >= 0 for input {shape}, not {pads}")
    padded = (d + pads[2 * i] + pads[2 * i + 1] for i, d in enumerate(shape[1:]))
    return (shape[0], *padded)


def join_shape(op: Op, shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
    """The output shape of any op from all its input shapes (``output_shape`` for one input)."""
    match op:
        case Add():
            if len(shapes) != len(op.factors) or len(shapes) < 2:
                raise IRError(
                    f"Add: must have {max(2, len(op.factors))} inputs (one per factor), "
                    f"not {len(shapes)}"
                )
            if any(s != shapes[0] for s in shapes):
                raise IRError(f"Add: input shapes must be equal, not {list(shapes)}")
            return shapes[0]
        case Concat():
            if len(shapes) < 2:
                raise IRError(f"Concat: must have at least 2 inputs, not {len(shapes)}")
            if any(len(s) != len(shapes[0]) or s[1:] != shapes[0][1:] for s in shapes):
                raise IRError(
                    f"Concat: inputs must agree on every axis but channels, not {list(shapes)}"
                )
            return (sum(s[0] for s in shapes), *shapes[0][1:])
    if len(shapes) != 1:
        raise IRError(f"{type(op).__name__}: must have exactly one input, not {len(shapes)}")
    return output_shape(op, shapes[0])


def output_shape(op: Op, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape for input ``shape``; raises IRError naming the mismatch."""
    match op:
        case MatMul():
            out_f, in_f = op.weight.shape
            if shape != (in_f,):
                raise IRError(f"MatMul: input shape must be ({in_f},), not {shape}")
            return (out_f,)
        case Mvau():
            out_f, in_f = op.weight.shape
            if op.per_pixel:
                if len(shape) < 2 or shape[0] != in_f:
                    raise IRError(f"Mvau: per-pixel input must be ({in_f}, <spatial>), not {shape}")
                return (out_f, *shape[1:])
            if math.prod(shape) != in_f:
                raise IRError(f"Mvau: input must hold {in_f} elements, not {shape}")
            return (out_f,)
        case Vvau():
            channels, taps = op.weight.shape
            if len(shape) < 2 or shape[0] != channels * taps:
                raise IRError(
                    f"Vvau: input must be windows ({channels * taps}, <spatial>), not {shape}"
                )
            return (channels, *shape[1:])
        case Conv():
            w = op.weight.shape
            dims = len(w) - 2
            _check_window("Conv", dims, w[2:], op.stride, op.padding)
            if op.groups < 1 or w[0] % op.groups:
                raise IRError(
                    f"Conv: groups must be >= 1 and divide out_channels={w[0]}, not {op.groups}"
                )
            in_c = w[1] * op.groups
            if len(shape) != dims + 1 or shape[0] != in_c:
                raise IRError(f"Conv: input shape must be ({in_c}, <{dims} spatial>), not {shape}")
            spatial = tuple(
                _window_out(s, k, st, p)
                for s, k, st, p in zip(shape[1:], w[2:], op.stride, op.padding, strict=True)
            )
            if min(spatial) < 1:
                raise IRError(f"Conv: kernel {w[2:]} must fit the padded input {shape[1:]}")
            return (w[0], *spatial)
        case MaxPool():
            return (shape[0], *_windows("MaxPool", shape, op.kernel_size, op.stride))
        case Flatten():
            return (math.prod(shape),)
        case Upsample():
            dims = len(shape) - 1
            if dims not in (1, 2) or len(op.scale) != dims or min(op.scale) < 1:
                raise IRError(
                    f"Upsample: scale must be {dims} integers >= 1 for input {shape}, "
                    f"not {op.scale}"
                )
            return (shape[0], *(d * f for d, f in zip(shape[1:], op.scale, strict=True)))
        case DepthToSpace():
            b = op.block_size
            if b < 1:
                raise IRError(f"DepthToSpace: block_size must be >= 1, not {b}")
            if len(shape) != 3 or shape[0] % (b * b):
                raise IRError(f"DepthToSpace: input must be [C * {b * b}, H, W], not {shape}")
            return (shape[0] // (b * b), shape[1] * b, shape[2] * b)
        case GlobalSumPool():
            if len(shape) < 2:
                raise IRError(f"GlobalSumPool: input must be [C, <spatial>], not {shape}")
            return (shape[0],) + (1,) * (len(shape) - 1)
        case Pad():
            return _padded("Pad", shape, op.pads)
        case PeakPick():
            if len(shape) != 2 or shape[0] != 1 or shape[1] < 3:
                raise IRError(f"PeakPick: input must be [1, length >= 3], not {shape}")
            return (4, op.max_peaks)
        case SlidingWindow():
            if op.pads:
                shape = _padded("SlidingWindow", shape, op.pads)
            spatial = _windows("SlidingWindow", shape, op.kernel_size, op.stride)
            return (shape[0] * math.prod(op.kernel_size), *spatial)
        case Requantize() | MultiThreshold() | MulShift() | Thresholding():
            return shape
        case Add() | Concat():
            raise IRError(f"{type(op).__name__}: takes several inputs; use join_shape")
    raise IRError(f"no shape rule for op {type(op).__name__}")  # pragma: no cover
