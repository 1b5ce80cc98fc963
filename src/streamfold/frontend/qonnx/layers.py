"""Linear and structural ops on activations: MatMul, Gemm, Conv, pooling, reshapes, BN."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from streamfold.errors import FrontendError
from streamfold.frontend.qonnx.model import Array, OnnxNode
from streamfold.frontend.qonnx.quantize import Emit
from streamfold.frontend.qonnx.values import Act, QConst, exact
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.graph import Value
from streamfold.ir.ops import Conv, Flatten, GlobalSumPool, IntArray, MatMul, MaxPool, Pad
from streamfold.quant.exact import Fractions, expand_flatten, per_channel

ACC = IntType(64, True)  # placeholder; infer_types computes the real accumulator types
ZERO = (Fraction(0),)


def out_scale(q: QConst, axis: int, where: str) -> Fractions:
    """The weight scale per index of ``axis`` (it must be constant along every other axis)."""
    full = np.broadcast_to(q.scale, q.codes.shape)
    per = np.moveaxis(full, axis, 0).reshape(full.shape[axis], -1)
    if not (per == per[:, :1]).all():
        raise FrontendError(f"{where}: weight scale must be per output channel or per tensor")
    values = tuple(exact(float(v), where, "weight scale") for v in per[:, 0])
    return values[:1] if all(v == values[0] for v in values) else values


MAX_INPUT_SCALE_RATIO = 1 << 16


def _integer_input(
    where: str, act: Act, codes: Array, dtype: IntType
) -> tuple[Fraction, Array, IntType]:
    """The input scale as one base times integers per input channel, folded into the weights.

    A per-channel input scale s_i = base * k_i (k_i integers, base their rational gcd) is exact
    in integer weights w[o, i] * k_i; the weight type widens to hold them.
    """
    if act.clipped:
        raise FrontendError(
            f"{where}: input must be quantized; a Relu/Clip must be followed by a quantizer"
        )
    if len(set(act.mul)) == 1:
        return act.mul[0], codes, dtype
    mul = per_channel(act.mul, codes.shape[1])
    base = Fraction(math.gcd(*(m.numerator for m in mul)), math.lcm(*(m.denominator for m in mul)))
    ks = [int(m / base) for m in mul]
    if base <= 0 or max(abs(k) for k in ks) > MAX_INPUT_SCALE_RATIO:
        raise FrontendError(
            f"{where}: per-channel input scales must be small integer multiples of one scale"
        )
    k = np.array(ks, dtype=np.int64).reshape((1, -1) + (1,) * (codes.ndim - 2))
    scaled = codes.astype(np.int64) * k
    return base, scaled, narrowest(min(int(scaled.min()), 0), max(int(scaled.max()), 0))


def dense(node: OnnxNode, act: Act, w: QConst, codes: Array, scale: Fractions, emit: Emit) -> Act:
    """y = codes @ (x * mul + add) * scale per output; codes is [out, in]."""
    if len(act.value.shape) != 1:
        raise FrontendError(f"{node.where}: input must be flat [1, features], not {act.onnx_shape}")
    original = codes
    m, codes, wtype = _integer_input(node.where, act, codes, w.dtype)
    out_f = codes.shape[0]
    scale = per_channel(scale, out_f) if len(scale) > 1 else scale
    out = emit(MatMul(IntArray(codes), wtype), ACC, act.value)
    return Act(out, tuple(m * s for s in scale), _bias_from_offset(original, act.add, scale))


def _bias_from_offset(codes: Array, offset: Fractions, scale: Fractions) -> Fractions:
    """sum_i codes[o, i, ...] * offset[i] * scale[o]: what an input offset adds per output."""
    if all(a == 0 for a in offset):
        return ZERO
    per_in = codes.reshape(codes.shape[0], codes.shape[1], -1).sum(axis=2)
    off = per_channel(offset, codes.shape[1])
    s = per_channel(scale, codes.shape[0])
    return tuple(
        sum((int(per_in[o, i]) * off[i] for i in range(codes.shape[1])), Fraction(0)) * s[o]
        for o in range(codes.shape[0])
    )


def add_bias(act: Act, bias: Fractions) -> Act:
    return act.affine((Fraction(1),), bias)


TypeOf = Callable[[Value], IntType]


def conv(node: OnnxNode, act: Act, w: QConst, emit: Emit, type_of: TypeOf) -> Act:
    """Conv; padding where the input's real 0 is not code 0 (or pads are asymmetric) becomes a
    Pad with the code of real 0 before an unpadded Conv."""
    where = node.where
    dims = w.codes.ndim - 2
    if dims not in (1, 2) or len(act.value.shape) != dims + 1:
        raise FrontendError(f"{where}: must be a 1-D or 2-D convolution, not {w.codes.ndim - 2}-D")
    groups = node.attr_int("group", 1)
    out_c, in_g = w.codes.shape[:2]
    if groups < 1 or out_c % groups or in_g * groups != act.channels:
        raise FrontendError(
            f"{where}: group must divide {out_c} output channels and give "
            f"{act.channels} input channels for weights {list(w.codes.shape)}, not {groups}"
        )
    if any(d != 1 for d in node.attr_ints("dilations", (1,) * dims)):
        raise FrontendError(f"{where}: dilations must be 1")
    if (k := tuple(node.attr_ints("kernel_shape", w.codes.shape[2:]))) != w.codes.shape[2:]:
        raise FrontendError(
            f"{where}: kernel_shape must be {list(w.codes.shape[2:])}, not {list(k)}"
        )
    stride = tuple(node.attr_ints("strides", (1,) * dims))
    pads = padding(node, act.value.shape[1:], tuple(w.codes.shape[2:]), stride)
    dense = ungroup(w.codes, groups)  # per-channel input scales and offsets apply densely
    m, codes, wtype = _integer_input(where, act, dense, w.dtype)
    x, symmetric = act.value, (0,) * dims
    if any(pads):
        zero = _zero_code(where, act, type_of(act.value))
        if zero == 0 and pads[:dims] == pads[dims:]:
            symmetric = pads[:dims]
        else:
            x = pad(act, pads, zero, emit)
    scale = out_scale(w, 0, where)
    op = Conv(IntArray(regroup(codes, groups)), wtype, stride, symmetric, groups)
    out = emit(op, ACC, x)
    return Act(out, tuple(m * s for s in scale), _bias_from_offset(dense, act.add, scale))


def ungroup(codes: Array, groups: int) -> Array:
    """Grouped weights ``[out, in / groups, *k]`` as the equal dense ``[out, in, *k]``."""
    if groups == 1:
        return codes
    out_g, in_g = codes.shape[0] // groups, codes.shape[1]
    dense = np.zeros((codes.shape[0], in_g * groups, *codes.shape[2:]), dtype=codes.dtype)
    for j in range(groups):
        rows = slice(j * out_g, (j + 1) * out_g)
        dense[rows, j * in_g : (j + 1) * in_g] = codes[rows]
    return dense


def regroup(dense: Array, groups: int) -> Array:
    """The inverse of ``ungroup``: each output block's own input block."""
    if groups == 1:
        return dense
    out_g, in_g = dense.shape[0] // groups, dense.shape[1] // groups
    blocks = [dense[j * out_g : (j + 1) * out_g, j * in_g : (j + 1) * in_g] for j in range(groups)]
    return np.concatenate(blocks, axis=0)


def padding(
    node: OnnxNode, spatial: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...]
) -> tuple[int, ...]:
    """ONNX pads (all begins, then all ends) from ``pads`` or ``auto_pad``."""
    dims = len(spatial)
    if len(stride) != dims or min(stride) < 1:
        raise FrontendError(f"{node.where}: strides must be {dims} integers >= 1, not {stride}")
    auto = node.attr_str("auto_pad", "NOTSET") or "NOTSET"
    if auto == "NOTSET":
        pads = tuple(node.attr_ints("pads", (0,) * 2 * dims))
        if len(pads) != 2 * dims or min(pads) < 0:
            raise FrontendError(f"{node.where}: pads must be {2 * dims} integers >= 0, not {pads}")
        return pads
    if auto == "VALID":
        return (0,) * 2 * dims
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise FrontendError(
            f"{node.where}: auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, not {auto!r}"
        )
    totals = [
        max(0, (-(-n // s) - 1) * s + k - n)
        for n, k, s in zip(spatial, kernel, stride, strict=True)
    ]
    small = tuple(t // 2 for t in totals)
    large = tuple(t - t // 2 for t in totals)
    return small + large if auto == "SAME_UPPER" else large + small


def _zero_code(where: str, act: Act, dtype: IntType) -> int:
    """The code whose real value is 0 in every channel: what zero padding pads with."""
    codes = {-a / m for m, a in zip(*_both(act.mul, act.add), strict=True) if m != 0}
    code = codes.pop() if len(codes) == 1 else None
    if code is None or code.denominator != 1 or not dtype.holds(int(code)):
        raise FrontendError(
            f"{where}: zero padding needs a code for real 0 in its input, but the input means "
            f"{dtype} code * {_text(act.mul)} + {_text(act.add)}: real 0 is no code of it"
        )
    return int(code)


def _both(a: Fractions, b: Fractions) -> tuple[Fractions, Fractions]:
    n = max(len(a), len(b))
    return per_channel(a, n), per_channel(b, n)


def _text(v: Fractions) -> str:
    return str(v[0]) if len(v) == 1 else f"[{', '.join(map(str, v))}]"


def pad(act: Act, pads: tuple[int, ...], value: int, emit: Emit) -> Value:
    """An IR Pad node (``(before, after)`` per spatial axis) for ONNX ``pads``."""
    dims = len(pads) // 2
    pairs = tuple(p for i in range(dims) for p in (pads[i], pads[dims + i]))
    return emit(Pad(pairs, value), act.value.dtype, act.value)


def _window(
    node: OnnxNode, spatial: tuple[int, ...], *, padded: bool = False
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """kernel, strides and ONNX pads of a pooling window (pads only where ``padded``)."""
    where, dims = node.where, len(spatial)
    kernel = tuple(node.attr_ints("kernel_shape"))
    if len(kernel) != dims:
        raise FrontendError(f"{where}: kernel_shape must have {dims} entries, not {list(kernel)}")
    stride = tuple(node.attr_ints("strides", (1,) * dims))
    pads = padding(node, spatial, kernel, stride)
    if (any(pads) and not padded) or node.attr_int("ceil_mode", 0):
        raise FrontendError(f"{where}: pads must be 0 and ceil_mode 0")
    if any(p >= k for p, k in zip(pads, kernel * 2, strict=True)):
        raise FrontendError(f"{where}: pads must be smaller than the kernel {list(kernel)}")
    if any(d != 1 for d in node.attr_ints("dilations", (1,) * dims)):
        raise FrontendError(f"{where}: dilations must be 1")
    if node.attr_int("storage_order", 0):
        raise FrontendError(f"{where}: storage_order must be 0")
    return kernel, stride, pads


def maxpool(node: OnnxNode, act: Act, emit: Emit, type_of: TypeOf) -> Act:
    """MaxPool; its padding (ONNX pads with -inf) pads with the input type's lowest code."""
    if len(node.outputs) > 1 and node.outputs[1]:
        raise FrontendError(f"{node.where}: the Indices output is not supported")
    kernel, stride, pads = _window(node, act.value.shape[1:], padded=True)
    if any(m <= 0 for m in act.mul):
        raise FrontendError(f"{node.where}: its input scale must be positive to pool integer codes")
    x = act.value
    if any(pads):
        x = pad(act, pads, type_of(act.value).min, emit)
    out = emit(MaxPool(kernel, stride), act.value.dtype, x)
    return Act(out, act.mul, act.add, act.lo, act.hi)


def avgpool(node: OnnxNode, act: Act, emit: Emit) -> Act:
    """Average = window sum / k, exact: a global average is a GlobalSumPool (its own hardware
    block), a windowed one a Conv with identity channel weights."""
    dims = len(act.value.shape) - 1
    if act.clipped:
        raise FrontendError(f"{node.where}: input must be quantized after a Relu/Clip")
    if node.op_type == "GlobalAveragePool":
        return global_sum(act, emit, divide=True)
    kernel, stride, _ = _window(node, act.value.shape[1:])
    c = act.channels
    w = np.zeros((c, c, *kernel), dtype=np.int64)
    w[np.arange(c), np.arange(c)] = 1
    out = emit(Conv(IntArray(w), IntType(1, False), tuple(stride), (0,) * dims), ACC, act.value)
    k = math.prod(kernel)
    return Act(out, tuple(m / k for m in act.mul), act.add)


def global_sum(act: Act, emit: Emit, *, divide: bool) -> Act:
    """Per-channel sum over every position (``divide``: the average, 1/N on the scale)."""
    n = math.prod(act.value.shape[1:])
    out = emit(GlobalSumPool(), ACC, act.value)
    mul = tuple(m / n for m in act.mul) if divide else act.mul
    add = act.add if divide else tuple(a * n for a in act.add)
    return Act(out, mul, add)


def reduce(node: OnnxNode, act: Act, axes: tuple[int, ...], emit: Emit) -> Act:
    """ReduceSum / ReduceMean over every spatial axis (``export_qonnx`` writes a global sum pool
    as ReduceSum): a GlobalSumPool, the mean's 1/N on the scale; keepdims=0 adds a Flatten."""
    dims = len(act.value.shape) - 1
    spatial = tuple(range(2, 2 + dims))
    rank = dims + 2
    keep = node.attr_int("keepdims", 1)
    if not axes and node.attr_int("noop_with_empty_axes", 0):
        raise FrontendError(f"{node.where}: noop_with_empty_axes must be 0")
    got = tuple(sorted({a % rank for a in axes})) if axes else tuple(range(rank))
    if not dims or got != spatial or keep not in (0, 1):
        raise FrontendError(
            f"{node.where}: {node.op_type} must reduce every spatial axis {list(spatial)} with "
            f"keepdims 0 or 1, not axes {list(axes)}, keepdims {keep}"
        )
    if act.clipped:
        raise FrontendError(f"{node.where}: input must be quantized after a Relu/Clip")
    out = global_sum(act, emit, divide=node.op_type == "ReduceMean")
    return out if keep else reshape(node, out, (1, out.value.size), emit)


def reshape(node: OnnxNode, act: Act, target: tuple[int, ...], emit: Emit) -> Act:
    if target == act.onnx_shape:
        return act
    if target != (1, act.value.size) or len(act.value.shape) < 2:
        raise FrontendError(
            f"{node.where}: reshape must flatten [1, C, ...] to [1, C*...], "
            f"not {list(act.onnx_shape)} to {list(target)}"
        )
    spatial = math.prod(act.value.shape[1:])
    out = emit(Flatten(), act.value.dtype, act.value)
    lo, hi = (tuple(expand_flatten(b, spatial)) for b in (act.lo, act.hi))  # type: ignore[arg-type]
    return Act(out, expand_flatten(act.mul, spatial), expand_flatten(act.add, spatial), lo, hi)


def batchnorm(node: OnnxNode, act: Act, params: list[Array]) -> Act:
    """y = (x - mean) / sqrt(var + eps) * gamma + beta folded in float64, then exact."""
    if node.attrs.get("training_mode", 0) or node.attrs.get("spatial", 1) != 1:
        raise FrontendError(f"{node.where}: training_mode must be 0 and spatial 1")
    if any(node.outputs[1:]):
        raise FrontendError(f"{node.where}: must have one output (inference mode)")
    gamma, beta, mean, var = (np.asarray(p, np.float64).ravel() for p in params)
    eps = node.attr_float("epsilon", 1e-5)
    a = [float(g) / math.sqrt(float(v) + eps) for g, v in zip(gamma, var, strict=True)]
    c = [float(b) - float(m) * ai for b, m, ai in zip(beta, mean, a, strict=True)]
    shape = act.onnx_shape
    bshape = (1, len(a)) + (1,) * (len(shape) - 2)
    return act.affine(
        act.constant(np.reshape(a, bshape), node.where, "BN multiplier"),
        act.constant(np.reshape(c, bshape), node.where, "BN offset"),
    )
