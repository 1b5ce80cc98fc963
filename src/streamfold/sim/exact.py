"""The reference executor: runs a Graph in exact integer arithmetic.

This module *defines* what each op computes. Values are int64 NumPy arrays with a leading batch
axis; arithmetic that could leave int64 (large rational scales) is done with Python ints. Every
node's result is checked against its declared type, so an accumulator type that is too narrow
is caught rather than wrapped.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from streamfold.errors import SimulationError, StreamfoldError
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node, Scale
from streamfold.ir.ops import (
    Add,
    Concat,
    Conv,
    DepthToSpace,
    DepthToSpaceMode,
    Flatten,
    GlobalSumPool,
    MatMul,
    MaxPool,
    MulShift,
    MultiThreshold,
    Mvau,
    Pad,
    PeakPick,
    Requantize,
    SlidingWindow,
    Thresholding,
    Upsample,
    Vvau,
)

Array = npt.NDArray[Any]
_INT64_SAFE = 1 << 62
_FLOAT_EXACT = 1 << 53


def run(
    graph: Graph, inputs: Mapping[str, Array] | Array, *, check_types: bool = True
) -> dict[str, Array]:
    """Execute ``graph`` on a batch; returns every graph output by name (int64 arrays)."""
    env = _bind_inputs(graph, inputs)
    for node in graph.nodes:
        args = [env[name] for name in node.inputs]
        try:
            out = _execute(node, args)
            if check_types:
                _check_range("output", out, node.output.dtype)
        except StreamfoldError as e:
            raise type(e)(f"while executing node {node.name!r}: {e}") from e
        except (ValueError, ArithmeticError, IndexError) as e:
            raise SimulationError(f"while executing node {node.name!r}: {e}") from e
        env[node.output.name] = out
    return {name: env[name] for name in graph.outputs}


def run_single(graph: Graph, x: Array, *, check_types: bool = True) -> Array:
    """Execute a one-input, one-output graph."""
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise SimulationError("run_single: graph must have one input and one output")
    return run(graph, {graph.inputs[0].name: x}, check_types=check_types)[graph.outputs[0]]


def dequantize(codes: Array, scale: Scale | None) -> npt.NDArray[np.float64]:
    """Real values of integer codes: code * float(mul) + float(add) per channel (axis 1).

    Computed in float64 in exactly this order, so every consumer of a scaled output (the
    PyTorch eval path, the graph executor, reports) gets the same floats bit for bit.
    """
    x = np.asarray(codes).astype(np.float64)
    if scale is None:
        return x
    shape = (1, -1) + (1,) * (x.ndim - 2)
    channels = x.shape[1]
    mul = np.array([float(scale.channel(c)[0]) for c in range(channels)]).reshape(shape)
    add = np.array([float(scale.channel(c)[1]) for c in range(channels)]).reshape(shape)
    result: npt.NDArray[np.float64] = x * mul + add
    return result


def _bind_inputs(graph: Graph, inputs: Mapping[str, Array] | Array) -> dict[str, Array]:
    if not isinstance(inputs, Mapping):
        if len(graph.inputs) != 1:
            raise SimulationError("run: graph has several inputs; pass a mapping name -> array")
        inputs = {graph.inputs[0].name: inputs}
    env: dict[str, Array] = {}
    for value in graph.inputs:
        if value.name not in inputs:
            raise SimulationError(f"run: input {value.name!r} must be given")
        x = np.asarray(inputs[value.name])
        if x.shape[1:] != value.shape:
            raise SimulationError(
                f"input {value.name}: shape must be (batch, {', '.join(map(str, value.shape))}), "
                f"not {x.shape}"
            )
        if not np.issubdtype(x.dtype, np.integer):
            raise SimulationError(f"input {value.name}: dtype must be integer codes, not {x.dtype}")
        _check_range(f"input {value.name}", x, value.dtype)
        env[value.name] = x.astype(np.int64)
    return env


def _check_range(where: str, x: Array, dtype: IntType) -> None:
    if x.size == 0:
        return
    lo, hi = int(x.min()), int(x.max())
    if dtype.bipolar and not np.isin(x, (-1, 1)).all():
        wrong = sorted({int(v) for v in x[~np.isin(x, (-1, 1))]})[:3]
        raise SimulationError(f"{where}: values must be -1 or +1 for bipolar, not {wrong}")
    if not dtype.contains(lo, hi):
        bad = lo if lo < dtype.min else hi
        raise SimulationError(
            f"{where}: value {bad} must lie in its type {dtype} [{dtype.min}, {dtype.max}]"
        )


def _execute(node: Node, args: list[Array]) -> Array:
    op, (x, *_) = node.op, args
    out_type = node.output.dtype
    match op:
        case MatMul():
            return _matmul(x, op.weight.array)
        case Conv() if op.groups != 1:
            return _grouped_conv(x, op)
        case Conv():
            return _conv(x, op.weight.array, op.stride, op.padding)
        case Add():
            return _add(args, op.factors)
        case Concat():
            joined: Array = np.concatenate(args, axis=1)
            return joined
        case MaxPool():
            return _maxpool(x, op.kernel_size, op.stride)
        case Flatten():
            return x.reshape(x.shape[0], -1)
        case GlobalSumPool():
            axes = tuple(range(2, x.ndim))
            total: Array = x.sum(axis=axes, keepdims=True, dtype=np.int64)
            return total
        case Upsample():
            for axis, f in enumerate(op.scale, start=2):
                x = np.repeat(x, f, axis=axis)
            return x
        case DepthToSpace():
            return _depth_to_space(x, op.block_size, op.mode)
        case Pad():
            return _pad(x, op.pads, op.value)
        case PeakPick():
            return _peakpick(x, op)
        case SlidingWindow():
            if op.pads:
                x = _pad(x, op.pads, op.value)
            return _sliding_window(x, op.kernel_size, op.stride)
        case Requantize():
            return _requantize(x, op.mul, op.add, out_type)
        case MultiThreshold():
            return _multithreshold(x, op.thresholds.array, out_type)
        case MulShift():
            return _mulshift(x, op, out_type)
        case Mvau():
            acc = _mvau(x, op.weight.array, op.per_pixel)
            if op.multiplier:
                return _mulshift(acc, MulShift(op.multiplier, op.bias, op.shift), out_type)
            if op.thresholds is None:
                return acc
            return _multithreshold(acc, op.thresholds.array, out_type)
        case Thresholding():
            return _multithreshold(x, op.thresholds.array, out_type)
        case Vvau():
            acc = _vvau(x, op.weight.array)
            if op.thresholds is None:
                return acc
            return _multithreshold(acc, op.thresholds.array, out_type)
    raise SimulationError(f"no semantics for op {type(op).__name__}")  # pragma: no cover


def _int_dtype(bound: int) -> type:
    """int64 when every intermediate stays below 2**62 in magnitude, else Python ints."""
    return np.int64 if bound < _INT64_SAFE else object


def _dot_dtype(w: Array, x: Array) -> type:
    """float64 (BLAS) when |sum of |w| * max|x|| < 2**53: every product and partial sum is then
    an integer float64 holds exactly, in any summation order; else int64, else Python ints."""
    bound = int(np.abs(w.astype(object)).sum(axis=tuple(range(1, w.ndim))).max()) * _max_abs(x)
    return np.float64 if bound < _FLOAT_EXACT else _int_dtype(bound)


def _matmul(x: Array, w: Array) -> Array:
    if x.ndim != 2 or x.shape[1] != w.shape[1]:
        raise SimulationError(f"MatMul: input must be (batch, {w.shape[1]}), not {x.shape}")
    dt = _dot_dtype(w, x)
    return _to_int64(x.astype(dt) @ w.T.astype(dt))


def _mvau(x: Array, w: Array, per_pixel: bool) -> Array:
    """Mvau's meaning (ir.ops.Mvau): per pixel on [in, *spatial], else the whole input taken
    channels-last."""
    if x.ndim == 2:
        return _matmul(x, w)
    channels_last = np.moveaxis(x, 1, -1)
    if per_pixel:
        acc = _matmul(channels_last.reshape(-1, w.shape[1]), w)
        return np.moveaxis(acc.reshape(*channels_last.shape[:-1], w.shape[0]), -1, 1)
    return _matmul(channels_last.reshape(x.shape[0], -1), w)


def _depth_to_space(x: Array, b: int, mode: DepthToSpaceMode) -> Array:
    """ONNX DepthToSpace on [N, C * b * b, H, W]: its reshape-transpose-reshape definition."""
    n, cbb, h, w = x.shape
    c = cbb // (b * b)
    if mode is DepthToSpaceMode.DCR:
        moved = x.reshape(n, b, b, c, h, w).transpose(0, 3, 4, 1, 5, 2)
    else:
        moved = x.reshape(n, c, b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
    return np.ascontiguousarray(moved).reshape(n, c, h * b, w * b)


def _pad(x: Array, pads: tuple[int, ...], value: int) -> Array:
    """[N, C, *spatial] padded by (before, after) per spatial axis with ``value``."""
    widths = ((0, 0), (0, 0), *zip(pads[0::2], pads[1::2], strict=True))
    padded: Array = np.pad(x, widths, constant_values=value)
    return padded


def _sliding_window(x: Array, kernel: tuple[int, ...], stride: tuple[int, ...]) -> Array:
    """[N, C, *spatial] -> [N, K_h * K_w * C, *out_spatial], window channel (k_y, k_x, c)."""
    dims = len(kernel)
    windows = _windows(x, kernel, stride)
    # (N, C, *out, *k) -> (N, *k, C, *out)
    order = (0, *range(2 + dims, 2 + 2 * dims), 1, *range(2, 2 + dims))
    moved = windows.transpose(order)
    return np.ascontiguousarray(moved).reshape(x.shape[0], -1, *moved.shape[2 + dims :])


def _conv(x: Array, w: Array, stride: tuple[int, ...], padding: tuple[int, ...]) -> Array:
    dims = w.ndim - 2
    if x.ndim != dims + 2 or x.shape[1] != w.shape[1]:
        raise SimulationError(f"Conv: input must be (batch, {w.shape[1]}, ...), not {x.shape}")
    pad = ((0, 0), (0, 0), *((p, p) for p in padding))
    xp = np.pad(x, pad)
    windows = _windows(xp, w.shape[2:], stride)
    dt = _dot_dtype(w, x)
    # windows: (N, C_in, *out_spatial, *kernel); contract C_in and kernel axes.
    k_axes = tuple(range(2 + dims, 2 + 2 * dims))
    out = np.tensordot(
        windows.astype(dt), w.astype(dt), axes=((1, *k_axes), (1, *range(2, 2 + dims)))
    )
    return _to_int64(np.moveaxis(out, -1, 1))


def _grouped_conv(x: Array, op: Conv) -> Array:
    """Each of ``groups`` consecutive input-channel blocks convolved with its own output block."""
    w = op.weight.array
    g, in_g, out_g = op.groups, w.shape[1], w.shape[0] // op.groups
    if x.ndim < 2 or x.shape[1] != in_g * g:
        raise SimulationError(f"Conv: input must be (batch, {in_g * g}, ...), not {x.shape}")
    parts = [
        _conv(
            x[:, j * in_g : (j + 1) * in_g], w[j * out_g : (j + 1) * out_g], op.stride, op.padding
        )
        for j in range(g)
    ]
    return np.concatenate(parts, axis=1)


def _vvau(x: Array, w: Array) -> Array:
    """Vvau's meaning (ir.ops.Vvau): per channel c, the dot product of its K window taps."""
    channels, taps = w.shape
    if x.ndim < 3 or x.shape[1] != channels * taps:
        raise SimulationError(f"Vvau: input must be (batch, {channels * taps}, ...), not {x.shape}")
    windows = x.reshape(x.shape[0], taps, channels, -1)  # channel index k * C + c
    dt = _dot_dtype(w, x)
    acc = np.einsum("nkcp,ck->ncp", windows.astype(dt), w.astype(dt))
    return _to_int64(acc.reshape(x.shape[0], channels, *x.shape[2:]))


def _add(args: list[Array], factors: tuple[int, ...]) -> Array:
    """sum_i factors[i] * args[i], in int64 when every partial sum stays below 2**62."""
    if len(args) != len(factors) or any(a.shape != args[0].shape for a in args):
        shapes = [a.shape for a in args]
        raise SimulationError(f"Add: needs {len(factors)} equally shaped inputs, not {shapes}")
    bound = sum(abs(k) * _max_abs(a) for k, a in zip(factors, args, strict=True))
    dt = _int_dtype(bound)
    total: Any = sum(a.astype(dt) * k for k, a in zip(factors, args, strict=True))
    return _to_int64(np.asarray(total))


def _windows(x: Array, kernel: tuple[int, ...], stride: tuple[int, ...]) -> Array:
    """Strided windows of [N, C, *spatial]: a view (N, C, *out_spatial, *kernel)."""
    dims = len(kernel)
    windows = sliding_window_view(x, kernel, axis=tuple(range(2, 2 + dims)))
    view: Array = windows[(slice(None), slice(None), *(slice(None, None, s) for s in stride))]
    return view


def _maxpool(x: Array, kernel: tuple[int, ...], stride: tuple[int, ...]) -> Array:
    dims = len(kernel)
    windows = _windows(x, kernel, stride)
    result: Array = windows.max(axis=tuple(range(2 + dims, 2 + 2 * dims)))
    return result


def _channels(x: Array) -> int:
    return int(x.shape[1])


def _requantize(
    x: Array, mul: tuple[Fraction, ...], add: tuple[Fraction, ...], t: IntType
) -> Array:
    out = np.empty(x.shape, dtype=np.int64)
    for c in range(_channels(x)):
        m, a = mul[c % len(mul)], add[c % len(add)]
        den = m.denominator * a.denominator
        num = x[:, c].astype(object) * (m.numerator * a.denominator) + a.numerator * m.denominator
        if t.bipolar:
            out[:, c] = np.where(num >= 0, 1, -1)
        else:
            out[:, c] = np.clip(_round_half_even_div(num, den), t.min, t.max)
    return out


def _round_half_even_div(num: Array, den: int) -> Array:
    """round_half_even(num / den) for integer arrays and a positive integer ``den``."""
    q, r = num // den, num % den
    up = (2 * r > den) | ((2 * r == den) & (q % 2 == 1))
    result: Array = q + up.astype(np.int64)
    return result


def _multithreshold(x: Array, thresholds: Array, t: IntType) -> Array:
    out = np.empty(x.shape, dtype=np.int64)
    for c in range(_channels(x)):
        row = thresholds[c % thresholds.shape[0]]
        levels = np.searchsorted(row, x[:, c], side="right")  # thresholds <= x
        out[:, c] = 2 * levels - 1 if t.bipolar else t.min + levels
    return out


def _peakpick(x: Array, op: PeakPick) -> Array:
    """``[N, 1, L]`` scores to ``[N, 4, max_peaks]`` records (``hw.peakpick``'s model,
    which defines the op; records are channels-first here)."""
    from streamfold.hw.peakpick.model import records

    n = x.shape[0]
    found = records(x.reshape(n, -1), op.threshold, op.min_distance, op.max_peaks)
    out: Array = found.reshape(n, op.max_peaks, -1).transpose(0, 2, 1)
    return out


def _mulshift(x: Array, op: MulShift, t: IntType) -> Array:
    out = np.empty(x.shape, dtype=np.int64)
    xm = _max_abs(x)
    for c in range(_channels(x)):
        m, b, s = (int(v[c % len(v)]) for v in (op.multiplier, op.bias, op.shift))
        dt = _int_dtype(xm * abs(m) + abs(b) + (1 << s))
        acc: Array = x[:, c].astype(dt) * m + b
        if t.bipolar:
            out[:, c] = np.where(acc >= 0, 1, -1)
            continue
        if s > 0:  # round half to even by shifting: add half - 1 plus the kept LSB
            acc = (acc + (1 << (s - 1)) - 1 + ((acc >> s) & 1)) >> s
        out[:, c] = np.clip(acc, t.min, t.max)
    return out


def _max_abs(x: Array) -> int:
    return max(abs(int(x.min())), abs(int(x.max()))) if x.size else 0


def _to_int64(x: Array) -> Array:
    if x.dtype.kind == "f":  # exact integers (see _dot_dtype)
        return x.astype(np.int64)
    if x.dtype == object:
        if x.size and max(abs(int(v)) for v in x.ravel()) >= 1 << 63:
            raise SimulationError("result exceeds 63 bits; the exact executor computes in int64")
        return x.astype(np.int64)
    return x
