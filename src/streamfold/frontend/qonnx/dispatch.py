"""One function per ONNX op type applied to an activation (its first input)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

import streamfold.frontend.qonnx.layers as layers
import streamfold.frontend.qonnx.layout as layout
import streamfold.frontend.qonnx.resize as resize
from streamfold.errors import FrontendError
from streamfold.frontend.qonnx.model import OnnxNode
from streamfold.frontend.qonnx.quantizers import integer_weights, quant_on_act
from streamfold.frontend.qonnx.values import Act, QConst, Tail

if TYPE_CHECKING:
    from streamfold.frontend.qonnx.importer import Env, Walker

# The op types the importer converts on activations, QONNX's own and standard ones
# (docs/supported_ops.md is generated from it): ``act_op``'s, and Concat (frontend.qonnx.branches).
ACT_OP_TYPES = (
    "Quant", "IntQuant", "BipolarQuant", "Trunc", "MultiThreshold", "MatMul", "Gemm", "Conv",
    "BatchNormalization", "Add", "Sub", "Mul", "Div", "Relu", "Clip", "LeakyRelu", "PRelu",
    "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceSum", "ReduceMean", "Reshape",
    "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Shape", "Identity", "Dropout", "Softmax",
    "LogSoftmax", "TopK", "ArgMax", "Concat", "Resize", "Upsample", "DepthToSpace",
)  # fmt: skip
ACT_OPS = ", ".join(ACT_OP_TYPES)
CHANNELS_LAST = "qonnx.custom_op.channels_last"
_ELEMENTWISE = ("Quant", "IntQuant", "BipolarQuant", "Trunc", "MultiThreshold")
_LAYOUT = ("Reshape", "Flatten", "Squeeze", "Unsqueeze")
_TAILS = ("Softmax", "LogSoftmax", "TopK", "ArgMax")
_POINTWISE = ("BatchNormalization", "Add", "Sub", "Mul", "Div", "Relu", "Clip", "LeakyRelu")
_LAYOUT_FREE: tuple[str, ...] = (
    *_ELEMENTWISE,
    *_POINTWISE,
    *_LAYOUT,
    *_TAILS,
    "PRelu",
    "Transpose",
    "Shape",
    "Identity",
    "Dropout",
)
"""Ops that take an activation in any layout; all others need it channels first."""


def act_op(w: Walker, node: OnnxNode, act: Act, consts: list[Any]) -> list[Env]:
    if node.domain == CHANNELS_LAST:
        out = layout.channels_last(node, act, consts, lambda a, c: _act_op(w, node, a, c)[0])
        return [out]
    if node.op_type not in _LAYOUT_FREE:
        layout.require_channels_first(node, act)
    return _act_op(w, node, act, consts)


def _act_op(w: Walker, node: OnnxNode, act: Act, consts: list[Any]) -> list[Any]:
    def emit(op: Any, dtype: Any, x: Any) -> Any:
        return w.emit(node, op, dtype, x)

    op, where = node.op_type, node.where
    match op:
        case "Quant" | "IntQuant" | "BipolarQuant" | "Trunc" | "MultiThreshold":
            return [replace(quant_on_act(w, node, act, consts), layout=act.layout)]
        case "MatMul":
            q = integer_weights(node, consts[0])
            if q.codes.ndim != 2:
                raise FrontendError(f"{where}: weights must be 2-D, not {list(q.codes.shape)}")
            scale = layers.out_scale(q, 1, where)
            return [layers.dense(node, act, q, q.codes.T, scale, emit)]
        case "Gemm":
            return [_gemm(node, act, integer_weights(node, consts[0]), consts[1:], emit)]
        case "Conv":
            out = layers.conv(node, act, integer_weights(node, consts[0]), emit, w.value_type)
            return [_with_bias(node, out, consts[1] if len(consts) > 1 else None)]
        case "BatchNormalization":
            if len(consts) != 4 or any(c is None for c in consts):
                raise FrontendError(f"{where}: must have scale, B, mean and var inputs")
            return [layers.batchnorm(node, act, [_value(c) for c in consts])]
        case "Add" | "Sub" | "Mul" | "Div":
            return [_arith(node, act, _value(consts[0]))]
        case "Relu":
            return [act.clip(Fraction(0), None)]
        case "LeakyRelu" | "PRelu":
            return [_leaky(node, act, consts)]
        case "Clip":
            return [_clip(node, act, consts)]
        case "MaxPool":
            return [layers.maxpool(node, act, emit, w.value_type)]
        case "AveragePool" | "GlobalAveragePool":
            return [layers.avgpool(node, act, emit)]
        case "ReduceSum" | "ReduceMean":
            axes = node.attr_ints("axes") if "axes" in node.attrs else ()
            if consts and consts[0] is not None:
                axes = [int(a) for a in np.asarray(_value(consts[0])).ravel()]
            return [layers.reduce(node, act, tuple(axes), emit)]
        case "Reshape" | "Flatten" | "Squeeze" | "Unsqueeze":
            return [layout.reshape_like(node, act, [_value(c) for c in consts], emit)]
        case "Transpose":
            return [layout.transpose(node, act)]
        case "Shape":  # static: a model has batch 1 (Brevitas flattens via Shape/Gather/Reshape)
            start = node.attr_int("start", 0)
            end = node.attr_int("end") if "end" in node.attrs else None
            return [np.array(act.onnx_shape[start:end], dtype=np.int64)]
        case "Identity" | "Dropout":
            return [act]
        case "Resize":
            return [resize.resize(node, act, consts, emit)]
        case "Upsample":
            return [resize.upsample(node, act, consts, emit)]
        case "DepthToSpace":
            return [resize.depth_to_space(node, act, emit)]
        case "Softmax" | "LogSoftmax" | "TopK" | "ArgMax":
            for i, name in enumerate(node.outputs):
                indices = op == "ArgMax" or (op == "TopK" and i == 1)
                w.tails[name] = _tail(node, act, consts, indices, w.tails.get(node.inputs[0]))
            return [act for _ in node.outputs]
    raise FrontendError(f"{where}: op {op} is not supported on activations; supported: {ACT_OPS}")


def _tail(node: OnnxNode, act: Act, consts: list[Any], indices: bool, prior: Tail | None) -> Tail:
    where = node.where
    if prior is not None and (prior.op_type in ("TopK", "ArgMax") or node.op_type in _TAILS[:2]):
        raise FrontendError(
            f"{where}: only a TopK/ArgMax may follow a Softmax/LogSoftmax, and nothing a "
            f"{prior.op_type} (the host applies them to the graph's output)"
        )
    if len(act.value.shape) != 1:
        raise FrontendError(f"{where}: input must be flat [1, classes], not {act.onnx_shape}")
    if node.attr_int("axis", -1) not in (-1, 1) or node.attr_int("select_last_index", 0):
        raise FrontendError(f"{where}: axis must be 1 and select_last_index 0")
    if node.op_type in ("Softmax", "LogSoftmax"):
        return Tail(node.op_type, act.channels, False)
    if node.op_type == "ArgMax":
        if not node.attr_int("keepdims", 1):
            raise FrontendError(f"{where}: keepdims must be 1")
        return Tail("ArgMax", 1, True, prior)
    if not node.attr_int("largest", 1) or not node.attr_int("sorted", 1):
        raise FrontendError(f"{where}: largest and sorted must be 1")
    k = int(np.asarray(_value(consts[0])).ravel()[0]) if consts else node.attr_int("k")
    if not 1 <= k <= act.channels:
        raise FrontendError(f"{where}: k must be in 1..{act.channels}, not {k}")
    return Tail("TopK", k, indices, prior)


def _value(c: Any) -> Any:
    return c.value if isinstance(c, QConst) else c


def _gemm(node: OnnxNode, act: Act, q: QConst, rest: list[Any], emit: Any) -> Act:
    if node.attr_int("transA", 0):
        raise FrontendError(f"{node.where}: transA must be 0")
    trans_b = node.attr_int("transB", 0)
    codes = q.codes if trans_b else q.codes.T
    scale = layers.out_scale(q, 0 if trans_b else 1, node.where)
    alpha = Fraction(np.float32(node.attr_float("alpha", 1.0)).item())
    out = layers.dense(node, act, q, codes, scale, emit)
    out = out.affine((alpha,), (Fraction(0),))
    if rest and rest[0] is not None:
        beta = np.float32(node.attr_float("beta", 1.0))
        return _with_bias(node, out, np.asarray(_value(rest[0])) * beta)
    return out


def _with_bias(node: OnnxNode, act: Act, bias: Any) -> Act:
    if bias is None:
        return act
    b = np.asarray(_value(bias))
    if b.ndim == 1 and len(act.onnx_shape) > 2:
        b = b.reshape((1, -1) + (1,) * (len(act.onnx_shape) - 2))
    return layers.add_bias(act, act.constant(b, node.where, "bias"))


def _arith(node: OnnxNode, act: Act, c: Any) -> Act:
    one, zero = (Fraction(1),), (Fraction(0),)
    values = act.constant(np.asarray(c), node.where, "constant operand")
    if node.op_type == "Mul":
        return act.affine(values, zero)
    if node.op_type == "Add":
        return act.affine(one, values)
    if node.op_type == "Div":
        if any(v == 0 for v in values):
            raise FrontendError(f"{node.where}: divisor must be nonzero")
        return act.affine(tuple(1 / v for v in values), zero)
    return act.affine(one, tuple(-v for v in values))


def _leaky(node: OnnxNode, act: Act, consts: list[Any]) -> Act:
    """A pending LeakyRelu/PRelu: monotone, so the quantizer after it becomes exact thresholds
    (the slope's float32 value, exactly; ONNX Runtime rounds slope * x to float32)."""
    where = node.where
    if act.clipped or act.slope is not None:
        raise FrontendError(f"{where}: its input must not have a pending Relu/Clip/LeakyRelu")
    if node.op_type == "LeakyRelu":
        slope: tuple[Fraction, ...] = (Fraction(float(np.float32(node.attr_float("alpha", 0.01)))),)
    elif not consts or consts[0] is None:
        raise FrontendError(f"{where}: slope must be given")
    else:
        slope = act.constant(np.asarray(_value(consts[0]), np.float32), where, "slope")
    if any(a < 0 for a in slope):
        raise FrontendError(f"{where}: slope must be >= 0 (monotone), not {min(slope)}")
    if all(a == 1 for a in slope):
        return act
    if all(a == 0 for a in slope):
        return act.clip(Fraction(0), None)
    return replace(act, slope=slope)


def _clip(node: OnnxNode, act: Act, consts: list[Any]) -> Act:
    def bound(i: int, key: str) -> Fraction | None:
        if i < len(consts) and consts[i] is not None:
            return Fraction(float(np.asarray(_value(consts[i])).ravel()[0]))
        return Fraction(node.attr_float(key)) if key in node.attrs else None

    return act.clip(bound(0, "min"), bound(1, "max"))
