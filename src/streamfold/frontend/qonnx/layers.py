"""Linear and structural ops on activations: MatMul, Gemm, Conv, pooling, reshapes, BN."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from streamfold.errors import FrontendError
from streamfold.frontend.qonnx.model import Array, OnnxNode
from streamfold.frontend.qonnx.quantize import Emit
from streamfold.frontend.qonnx.values import Act, QConst, channel_values, exact
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.ops import Conv, Flatten, GlobalSumPool, IntArray, MatMul, MaxPool
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


def conv(node: OnnxNode, act: Act, w: QConst, emit: Emit) -> Act:
    where = node.where
    dims = w.codes.ndim - 2
    if dims not in (1, 2) or len(act.value.shape) != dims + 1:
        raise FrontendError(f"{where}: must be a 1-D or 2-D convolution, not {w.codes.ndim - 2}-D")
    if node.attr_int("group", 1) != 1:
        raise FrontendError(f"{where}: group must be 1, not {node.attr_int('group', 1)}")
    if node.attr_str("auto_pad", "NOTSET") not in ("NOTSET", ""):
        raise FrontendError(
            f"{where}: auto_pad must be NOTSET, not {node.attr_str('auto_pad', '')}"
        )
    if any(d != 1 for d in node.attr_ints("dilations", (1,) * dims)):
        raise FrontendError(f"{where}: dilations must be 1")
    if (k := tuple(node.attr_ints("kernel_shape", w.codes.shape[2:]))) != w.codes.shape[2:]:
        raise FrontendError(
            f"{where}: kernel_shape must be {list(w.codes.shape[2:])}, not {list(k)}"
        )
    stride = tuple(node.attr_ints("strides", (1,) * dims))
    pads = node.attr_ints("pads", (0,) * 2 * dims)
    if pads[:dims] != pads[dims:]:
        raise FrontendError(f"{where}: pads must be symmetric, not {pads}")
    m, codes, wtype = _integer_input(where, act, w.codes, w.dtype)
    if any(pads) and any(a != 0 for a in act.add):
        raise FrontendError(f"{where}: a zero-padded input must have zero offset")
    scale = out_scale(w, 0, where)
    op = Conv(IntArray(codes), wtype, stride, tuple(pads[:dims]))
    out = emit(op, ACC, act.value)
    return Act(out, tuple(m * s for s in scale), _bias_from_offset(w.codes, act.add, scale))


def _window(node: OnnxNode, dims: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    where = node.where
    kernel = tuple(node.attr_ints("kernel_shape"))
    if len(kernel) != dims:
        raise FrontendError(f"{where}: kernel_shape must have {dims} entries, not {list(kernel)}")
    if any(node.attr_ints("pads", (0,) * 2 * dims)) or node.attr_int("ceil_mode", 0):
        raise FrontendError(f"{where}: pads must be 0 and ceil_mode 0")
    if node.attr_str("auto_pad", "NOTSET") not in ("NOTSET", "VALID", ""):
        raise FrontendError(f"{where}: auto_pad must be NOTSET or VALID")
    if any(d != 1 for d in node.attr_ints("dilations", (1,) * dims)):
        raise FrontendError(f"{where}: dilations must be 1")
    if node.attr_int("storage_order", 0):
        raise FrontendError(f"{where}: storage_order must be 0")
    return kernel, tuple(node.attr_ints("strides", (1,) * dims))


def maxpool(node: OnnxNode, act: Act, emit: Emit) -> Act:
    if len(node.outputs) > 1 and node.outputs[1]:
        raise FrontendError(f"{node.where}: the Indices output is not supported")
    kernel, stride = _window(node, len(act.value.shape) - 1)
    if any(m <= 0 for m in act.mul):
        raise FrontendError(f"{node.where}: its input scale must be positive to pool integer codes")
    out = emit(MaxPool(kernel, stride), act.value.dtype, act.value)
    return Act(out, act.mul, act.add, act.lo, act.hi)


def avgpool(node: OnnxNode, act: Act, emit: Emit) -> Act:
    """Average = window sum / k, exact: a global average is a GlobalSumPool (its own hardware
    block), a windowed one a Conv with identity channel weights."""
    dims = len(act.value.shape) - 1
    if act.clipped:
        raise FrontendError(f"{node.where}: input must be quantized after a Relu/Clip")
    if node.op_type == "GlobalAveragePool":
        return global_sum(act, emit, divide=True)
    kernel, stride = _window(node, dims)
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


def reduce_sum(node: OnnxNode, act: Act, axes: tuple[int, ...], emit: Emit) -> Act:
    """ReduceSum over every spatial axis with keepdims=1 (what ``export_qonnx`` writes for a
    global sum pool)."""
    dims = len(act.value.shape) - 1
    spatial = tuple(range(2, 2 + dims))
    rank = dims + 2
    if tuple(sorted(a % rank for a in axes)) != spatial or node.attr_int("keepdims", 1) != 1:
        raise FrontendError(
            f"{node.where}: ReduceSum must sum every spatial axis {list(spatial)} with "
            f"keepdims=1, not axes {list(axes)}, keepdims {node.attr_int('keepdims', 1)}"
        )
    if act.clipped:
        raise FrontendError(f"{node.where}: input must be quantized after a Relu/Clip")
    return global_sum(act, emit, divide=False)


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
        channel_values(np.reshape(a, bshape), shape, node.where, "BN multiplier"),
        channel_values(np.reshape(c, bshape), shape, node.where, "BN offset"),
    )
