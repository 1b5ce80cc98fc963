"""One function per ONNX op type applied to an activation (its first input)."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from streamfold.errors import FrontendError
from streamfold.frontend.qonnx import layers, resize
from streamfold.frontend.qonnx.model import OnnxNode
from streamfold.frontend.qonnx.quantizers import integer_weights, quant_on_act
from streamfold.frontend.qonnx.values import Act, QConst, Tail, channel_values

if TYPE_CHECKING:
    from streamfold.frontend.qonnx.importer import Env, Walker

ACT_OPS = (
    "Quant, IntQuant, BipolarQuant, Trunc, MultiThreshold, MatMul, Gemm, Conv, "
    "BatchNormalization, Add, Sub, Mul, Div, Relu, Clip, MaxPool, AveragePool, "
    "Resize, Upsample, DepthToSpace, "
    "GlobalAveragePool, ReduceSum, Reshape, Flatten, Transpose, Identity, Dropout, TopK, ArgMax"
)


def act_op(w: Walker, node: OnnxNode, act: Act, consts: list[Any]) -> list[Env]:
    def emit(op: Any, dtype: Any, x: Any) -> Any:
        return w.emit(node, op, dtype, x)

    op, where, shape = node.op_type, node.where, act.onnx_shape
    match op:
        case "Quant" | "IntQuant" | "BipolarQuant" | "Trunc" | "MultiThreshold":
            return [quant_on_act(w, node, act, consts)]
        case "MatMul":
            q = integer_weights(node, consts[0])
            if q.codes.ndim != 2:
                raise FrontendError(f"{where}: weights must be 2-D, not {list(q.codes.shape)}")
            scale = layers.out_scale(q, 1, where)
            return [layers.dense(node, act, q, q.codes.T, scale, emit)]
        case "Gemm":
            return [_gemm(node, act, integer_weights(node, consts[0]), consts[1:], emit)]
        case "Conv":
            out = layers.conv(node, act, integer_weights(node, consts[0]), emit)
            return [_with_bias(node, out, consts[1] if len(consts) > 1 else None)]
        case "BatchNormalization":
            if len(consts) != 4 or any(c is None for c in consts):
                raise FrontendError(f"{where}: must have scale, B, mean and var inputs")
            return [layers.batchnorm(node, act, [_value(c) for c in consts])]
        case "Add" | "Sub" | "Mul" | "Div":
            return [_arith(node, act, _value(consts[0]))]
        case "Relu":
            return [act.clip(Fraction(0), None)]
        case "Clip":
            return [_clip(node, act, consts)]
        case "MaxPool":
            return [layers.maxpool(node, act, emit)]
        case "AveragePool" | "GlobalAveragePool":
            return [layers.avgpool(node, act, emit)]
        case "ReduceSum":
            axes = tuple(int(a) for a in np.asarray(_value(consts[0])).ravel()) if consts else ()
            return [layers.reduce_sum(node, act, axes, emit)]
        case "Reshape":
            target = np.asarray(_value(consts[0])).astype(np.int64)
            new = np.empty(shape, dtype=np.int8).reshape(
                [shape[i] if s == 0 else int(s) for i, s in enumerate(target)]
            )
            return [layers.reshape(node, act, tuple(new.shape), emit)]
        case "Flatten":
            if node.attr_int("axis", 1) != 1:
                raise FrontendError(f"{where}: axis must be 1, not {node.attr_int('axis')}")
            return [layers.reshape(node, act, (1, act.value.size), emit)]
        case "Transpose":
            perm = node.attr_ints("perm", tuple(reversed(range(len(shape)))))
            if perm != list(range(len(shape))):
                raise FrontendError(f"{where}: perm must keep the activation layout, not {perm}")
            return [act]
        case "Identity" | "Dropout":
            return [act]
        case "Resize":
            return [resize.resize(node, act, consts, emit)]
        case "Upsample":
            return [resize.upsample(node, act, consts, emit)]
        case "DepthToSpace":
            return [resize.depth_to_space(node, act, emit)]
        case "TopK" | "ArgMax":
            for i, name in enumerate(node.outputs):
                w.tails[name] = _tail(node, act, consts, indices=op == "ArgMax" or i == 1)
            return [act for _ in node.outputs]
    raise FrontendError(f"{where}: op {op} is not supported on activations; supported: {ACT_OPS}")


def _tail(node: OnnxNode, act: Act, consts: list[Any], indices: bool) -> Tail:
    where = node.where
    if len(act.value.shape) != 1:
        raise FrontendError(f"{where}: input must be flat [1, classes], not {act.onnx_shape}")
    if node.attr_int("axis", -1) not in (-1, 1) or node.attr_int("select_last_index", 0):
        raise FrontendError(f"{where}: axis must be 1 and select_last_index 0")
    if node.op_type == "ArgMax":
        if not node.attr_int("keepdims", 1):
            raise FrontendError(f"{where}: keepdims must be 1")
        return Tail("ArgMax", 1, True)
    if not node.attr_int("largest", 1) or not node.attr_int("sorted", 1):
        raise FrontendError(f"{where}: largest and sorted must be 1")
    k = int(np.asarray(_value(consts[0])).ravel()[0]) if consts else node.attr_int("k")
    if not 1 <= k <= act.channels:
        raise FrontendError(f"{where}: k must be in 1..{act.channels}, not {k}")
    return Tail("TopK", k, indices)


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
    return layers.add_bias(act, channel_values(b, act.onnx_shape, node.where, "bias"))


def _arith(node: OnnxNode, act: Act, c: Any) -> Act:
    one, zero = (Fraction(1),), (Fraction(0),)
    values = channel_values(np.asarray(c), act.onnx_shape, node.where, "constant operand")
    if node.op_type == "Mul":
        return act.affine(values, zero)
    if node.op_type == "Add":
        return act.affine(one, values)
    if node.op_type == "Div":
        if any(v == 0 for v in values):
            raise FrontendError(f"{node.where}: divisor must be nonzero")
        return act.affine(tuple(1 / v for v in values), zero)
    return act.affine(one, tuple(-v for v in values))


def _clip(node: OnnxNode, act: Act, consts: list[Any]) -> Act:
    def bound(i: int, key: str) -> Fraction | None:
        if i < len(consts) and consts[i] is not None:
            return Fraction(float(np.asarray(_value(consts[i])).ravel()[0]))
        return Fraction(node.attr_float(key)) if key in node.attrs else None

    return act.clip(bound(0, "min"), bound(1, "max"))
