"""QONNX quantizers: their attribute specs, and Quant/BipolarQuant/Trunc/MultiThreshold applied
to activations (the exact IR node each becomes)."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

import streamfold.frontend.qonnx.numeric as numeric
from streamfold.errors import FrontendError
from streamfold.frontend.qonnx.model import Array, OnnxNode
from streamfold.frontend.qonnx.quantize import bipolar, leaky_thresholds, quantize
from streamfold.frontend.qonnx.values import (
    Act,
    QConst,
    channel_values,
    integer_const,
    weight_dtype,
)
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.graph import Value
from streamfold.ir.ops import IntArray, MultiThreshold, Op
from streamfold.quant.exact import Fractions, per_channel

if TYPE_CHECKING:
    from streamfold.frontend.qonnx.importer import Walker


def check_finite_positive(node: OnnxNode, a: Any, what: str) -> None:
    v = np.asarray(a.value if isinstance(a, QConst) else a, dtype=np.float64)
    if v.size == 0 or not np.isfinite(v).all() or (v <= 0).any():
        raise FrontendError(f"{node.where}: {what} must be finite and positive")


def _scalar(node: OnnxNode, a: Any, what: str) -> float:
    v = np.asarray(a.value if isinstance(a, QConst) else a)
    if v.size != 1 or not np.isfinite(v).all():
        raise FrontendError(f"{node.where}: {what} must be one finite number, not shape {v.shape}")
    return float(v.ravel()[0])


def quant_spec(node: OnnxNode, args: list[Any]) -> tuple[int, bool, bool, str]:
    if len(args) < 4:
        raise FrontendError(f"{node.where}: must have 4 inputs (x, scale, zeropt, bitwidth)")
    bits = _scalar(node, args[3], "bitwidth")
    if bits != int(bits) or not 1 <= bits <= 32:
        raise FrontendError(f"{node.where}: bitwidth must be an integer in 1..32, not {bits}")
    zp = np.asarray(args[2].value if isinstance(args[2], QConst) else args[2])
    if (zp != 0).any():
        raise FrontendError(f"{node.where}: zero point must be 0, not {zp.ravel()[0]}")
    signed, narrow = node.attr_int("signed", 1), node.attr_int("narrow", 0)
    for key, v in (("signed", signed), ("narrow", narrow)):
        if v not in (0, 1):
            raise FrontendError(f"{node.where}: attribute {key} must be 0 or 1, not {v}")
    return int(bits), bool(signed), bool(narrow), numeric.rounding_mode(node, "ROUND")


def input_meaning(
    node: OnnxNode, consts: list[Any], shape: tuple[int, ...]
) -> tuple[IntType, tuple[Fraction, ...], tuple[Fraction, ...]]:
    zero = (Fraction(0),)
    if node.op_type in ("Quant", "IntQuant", "BipolarQuant"):
        check_finite_positive(node, consts[0] if consts else None, "scale")
    if node.op_type == "BipolarQuant":
        return (
            weight_dtype(1, True, False),
            channel_values(consts[0], shape, node.where, "scale"),
            zero,
        )
    if node.op_type == "MultiThreshold":
        t = np.asarray(consts[0])
        out_scale = Fraction(node.attr_float("out_scale", 1.0))
        out_bias = Fraction(node.attr_float("out_bias", 0.0))
        return narrowest(0, max(1, t.shape[-1])), (out_scale,), (out_bias,)
    bits, signed, narrow, _ = quant_spec(node, [None, *consts])
    scale = channel_values(consts[0], shape, node.where, "scale")
    if bits == 1 and signed:
        return weight_dtype(1, True, False), scale, zero
    return weight_dtype(bits, signed, narrow), scale, zero


def quant_on_act(w: Walker, node: OnnxNode, act: Act, consts: list[Any]) -> Act:
    """Quant / IntQuant / BipolarQuant / Trunc / MultiThreshold on an activation."""

    def emit(op: Op, dtype: IntType, x: Value) -> Value:
        return w.emit(node, op, dtype, x)

    def rng() -> tuple[int, int]:
        return w.value_range(act.value)

    where = node.where
    if node.op_type == "BipolarQuant":
        return bipolar(where, act, act.constant(consts[0], where, "scale"), emit)
    if node.op_type == "MultiThreshold":
        return _multithreshold(w, node, act, np.asarray(consts[0], np.float64))
    if node.op_type == "Trunc":
        if act.slope is not None:
            raise FrontendError(f"{where}: a LeakyRelu/PRelu before a Trunc is not supported")
        return _trunc(node, act, consts, emit, rng)
    bits, signed, narrow, mode = quant_spec(node, [None, *consts])
    scale = act.constant(consts[0], where, "scale")
    if bits == 1 and signed:
        return bipolar(where, act, scale, emit)
    return quantize(
        where, act, scale, numeric.int_range(bits, signed, narrow), mode, scale, emit, rng
    )


def _positive(values: Fractions, where: str, what: str) -> Fractions:
    if any(v <= 0 for v in values):
        got = ", ".join(str(v) for v in values)
        raise FrontendError(f"{where}: {what} must be positive, not {got}")
    return values


def _trunc(node: OnnxNode, act: Act, consts: list[Any], emit: Any, rng: Any) -> Act:
    where = node.where
    if any(np.asarray(c).any() for c in consts[1:2]):
        raise FrontendError(f"{where}: zero point must be 0")
    scale = _positive(act.constant(consts[0], where, "scale"), where, "scale")
    y = act.affine(tuple(1 / s for s in scale), (Fraction(0),))
    if act.clipped or any(v.denominator != 1 for v in y.mul + y.add):
        raise FrontendError(f"{where}: input must be integer multiples of its scale")
    mode = numeric.rounding_mode(node, "FLOOR")
    if numeric.trunc_version(node, len(consts) + 1) == 2:  # output scale and bit width; clamps
        out_scale = act.constant(consts[3], where, "output scale")
        _positive(out_scale, where, "output scale")
        bits = int(_scalar(node, consts[4], "output bit width"))
        qrange = numeric.int_range(
            bits, bool(node.attr_int("signed", 1)), bool(node.attr_int("narrow", 0))
        )
        n = max(len(scale), len(out_scale))
        pairs = zip(per_channel(scale, n), per_channel(out_scale, n), strict=True)
        # qonnx: trunc_scale = 2 ** round(log2(output_scale / scale)), per element
        div = tuple(s * Fraction(2) ** round(np.log2(float(o / s))) for s, o in pairs)
        return quantize(where, act, div, qrange, mode, out_scale, emit, rng)
    shift = int(
        _scalar(node, consts[2], "input bit width") - _scalar(node, consts[3], "output bit width")
    )
    div = tuple(s * Fraction(2) ** shift for s in scale)
    return quantize(where, act, div, None, mode, scale, emit, rng)


def _multithreshold(w: Walker, node: OnnxNode, act: Act, t: Array) -> Act:
    where = node.where
    data_layout = node.attr_str("data_layout", "NCHW")
    if data_layout not in ("NCHW", "NC", "NCW", "NHWC", "NWC"):
        raise FrontendError(
            f"{where}: data_layout must be NCHW, NC, NCW, NHWC or NWC, not {data_layout!r}"
        )
    if t.ndim != 2 or t.shape[0] not in (1, act.channels) or not np.isfinite(t).all():
        raise FrontendError(f"{where}: thresholds must be finite [channels or 1, steps]")
    axis = len(act.onnx_shape) - 1 if data_layout in ("NHWC", "NWC") else 1
    if t.shape[0] > 1 and act.channel_axis != axis:
        raise FrontendError(
            f"{where}: its per-channel thresholds run along axis {axis} ({data_layout}), so the "
            f"channels must be there, not on axis {act.channel_axis} of {list(act.onnx_shape)}"
        )
    if act.clipped:
        raise FrontendError(f"{where}: its input must not have a pending Relu/Clip")
    x_lo, x_hi = w.value_range(act.value)
    bits = max(1, t.shape[1].bit_length())
    scale = Fraction(node.attr_float("out_scale", 1.0))
    bias = Fraction(node.attr_float("out_bias", 0.0))
    channels = max(t.shape[0], len(act.mul), len(act.add), len(act.slope or ()))
    rows, mul, add = [], [], []
    for c in range(channels):
        m, a = act.mul[c % len(act.mul)], act.add[c % len(act.add)]
        cuts = [(Fraction(float(v)), False) for v in t[c % t.shape[0]]]
        slope = None if act.slope is None else act.slope[c % len(act.slope)]
        row, flipped = leaky_thresholds(m, a, cuts, slope, x_lo, x_hi)
        rows.append(row + [x_hi + 1] * ((1 << bits) - 1 - len(row)))
        mul.append(-scale if flipped else scale)
        add.append(bias + scale * len(row) if flipped else bias)
    out = w.emit(node, MultiThreshold(IntArray(rows)), IntType(bits, False), act.value)
    return Act(out, tuple(mul), tuple(add))


def integer_weights(node: OnnxNode, a: Any) -> QConst:
    if isinstance(a, QConst):
        return a
    if a is None:
        raise FrontendError(f"{node.where}: weights must be given")
    return integer_const(np.asarray(a), node.where)
