"""Joins of activations in an imported graph: ``Add`` of two activations and channel ``Concat``.

``Add(a, b)`` with each input meaning ``codes * m + add`` (one multiplier per tensor) becomes the
IR's ``Add`` with integer factors ``m_a / g`` and ``m_b / g`` (g their rational gcd), meaning
``sum * g + (add_a + add_b)``: exact, whatever quantizer follows. ``Concat`` along the channel
axis keeps each input's meaning per channel. (Grouped convolutions are in ``layers.conv``.)
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from streamfold.errors import FrontendError
from streamfold.frontend.qonnx.model import OnnxNode
from streamfold.frontend.qonnx.values import Act
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Node, Value
from streamfold.ir.ops import Add, Concat, Op
from streamfold.ir.shapes import join_shape
from streamfold.quant.exact import concat_channels, per_channel

if TYPE_CHECKING:
    from streamfold.frontend.qonnx.importer import Walker

MAX_ADD_FACTOR = 1 << 24
"""Largest integer factor aligning two scales (float32 scales an exporter snapped to a common
dyadic grid give small ones; unrelated float scales give huge ones, refused)."""


def add_acts(w: Walker, node: OnnxNode, a: Act, b: Act) -> Act:
    """``a + b`` of two activations as an integer Add with alignment factors."""
    where = node.where
    for i, act in enumerate((a, b)):
        if act.clipped:
            raise FrontendError(
                f"{where}: input {i} must be quantized; a Relu/Clip before the add must be "
                "followed by a quantizer"
            )
        if len(set(act.mul)) != 1 or act.mul[0] == 0:
            raise FrontendError(
                f"{where}: input {i} must have one nonzero scale per tensor to be aligned "
                f"with integers, not {len(set(act.mul))} per-channel scales"
            )
    if a.value.shape != b.value.shape:
        raise FrontendError(
            f"{where}: inputs must have equal shapes (no broadcasting), "
            f"not {list(a.onnx_shape)} and {list(b.onnx_shape)}"
        )
    ma, mb = a.mul[0], b.mul[0]
    base = Fraction(math.gcd(ma.numerator, mb.numerator), math.lcm(ma.denominator, mb.denominator))
    factors = (int(ma / base), int(mb / base))
    if max(map(abs, factors)) > MAX_ADD_FACTOR:
        raise FrontendError(
            f"{where}: input scales {float(ma)} and {float(mb)} must be small integer multiples "
            f"of one scale (factors up to 2**24), not {factors[0]} and {factors[1]}"
        )
    out = _emit(w, node, Add(factors), [a.value, b.value])
    n = max(len(a.add), len(b.add))
    add = tuple(x + y for x, y in zip(per_channel(a.add, n), per_channel(b.add, n), strict=True))
    return Act(out, (base,), add[:1] if len(set(add)) == 1 else add)


def concat_acts(w: Walker, node: OnnxNode, args: list[Any]) -> Act:
    """``Concat`` of activations along axis 1 (channels)."""
    where = node.where
    if not args or not all(isinstance(a, Act) for a in args):
        raise FrontendError(f"{where}: every input must be an activation, not a constant")
    acts: list[Act] = args
    rank = len(acts[0].onnx_shape)
    if node.attr_int("axis", 0) % rank != 1:
        raise FrontendError(f"{where}: axis must be 1 (channels), not {node.attr_int('axis', 0)}")
    if any(a.clipped for a in acts):
        raise FrontendError(f"{where}: inputs must be quantized, not a pending Relu/Clip")
    if len(acts) == 1:
        return acts[0]
    out = _emit(w, node, Concat(), [a.value for a in acts])
    channels = [a.channels for a in acts]
    return Act(
        out,
        concat_channels([a.mul for a in acts], channels),
        concat_channels([a.add for a in acts], channels),
    )


def _emit(w: Walker, node: OnnxNode, op: Op, xs: list[Value]) -> Value:
    """Walker.emit for an op with several inputs (the same unique naming)."""
    try:
        shape = join_shape(op, tuple(x.shape for x in xs))
    except FrontendError:
        raise
    except Exception as e:
        raise FrontendError(f"{node.where}: {e}") from None
    name = w.unique_name(node.outputs[0])
    out = Value(name, IntType(64, True), shape)  # infer_types computes the real type
    w.nodes.append(Node(name, op, tuple(x.name for x in xs), out))
    return out
