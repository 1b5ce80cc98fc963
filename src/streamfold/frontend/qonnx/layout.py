"""Layout ops on activations: Transpose, size-1 reshapes (Reshape, Flatten, Squeeze, Unsqueeze)
and the channels-last ops of ``qonnx.custom_op.channels_last``.

The IR keeps one layout, per sample and channels first; an ``Act`` records where its IR axes
sit in the ONNX tensor (``Act.layout``), so these ops cost no IR node, except a Flatten of a
feature map, which is the IR's ``Flatten``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

import streamfold.frontend.qonnx.layers as layers
import streamfold.frontend.qonnx.numeric as numeric
from streamfold.errors import FrontendError
from streamfold.frontend.qonnx.model import Array, OnnxNode
from streamfold.frontend.qonnx.quantize import Emit
from streamfold.frontend.qonnx.values import Act, QConst

CHANNELS_LAST_OPS = ("Conv", "MaxPool", "BatchNormalization")


def require_channels_first(node: OnnxNode, act: Act) -> None:
    if not act.canonical:
        raise FrontendError(
            f"{node.where}: input must be channels first {[1, *act.value.shape]}, "
            f"not {list(act.onnx_shape)}"
        )


def transpose(node: OnnxNode, act: Act) -> Act:
    rank = len(act.onnx_shape)
    perm = node.attr_ints("perm", tuple(reversed(range(rank))))
    if sorted(perm) != list(range(rank)) or perm[0] != 0:
        raise FrontendError(
            f"{node.where}: perm must be a permutation of 0..{rank - 1} that keeps the batch "
            f"axis 0 first, not {perm}"
        )
    return act.with_layout(tuple(act.axes[p] for p in perm))


def reshape_like(node: OnnxNode, act: Act, params: list[Array | None], emit: Emit) -> Act:
    """Reshape / Flatten / Squeeze / Unsqueeze: the target shape as ONNX computes it."""
    probe = np.zeros(act.onnx_shape, np.int8)
    target = tuple(numeric.evaluate(node, [probe, *params])[0].shape)
    return relayout(node, act, target, emit)


def relayout(node: OnnxNode, act: Act, target: tuple[int, ...], emit: Emit) -> Act:
    """``act`` seen as ONNX shape ``target``: a Flatten of a feature map (an IR Flatten) or a
    change that only adds or removes size-1 axes (a new layout)."""
    shape, ir = act.onnx_shape, act.value.shape
    if target == shape:
        return act
    if not target or target[0] != 1:
        raise FrontendError(f"{node.where}: the batch axis 0 must stay 1, not {list(target)}")
    kept = [(n, a) for n, a in zip(shape, act.axes, strict=True) if n != 1]
    order = [a for _, a in kept]
    in_order = order == sorted(order)
    if target == (1, act.value.size) and len(ir) >= 2 and in_order:
        return layers.reshape(node, replace(act, layout=None), target, emit)
    if [n for n, _ in kept] != [n for n in target if n != 1]:
        raise FrontendError(
            f"{node.where}: reshape must flatten [1, C, ...] to [1, C*...] or only add or "
            f"remove size-1 axes, not {list(shape)} to {list(target)}"
        )
    if target == (1, *ir) and in_order:
        return act.with_layout((-1, *range(len(ir))))
    it = iter(order)
    return act.with_layout(tuple(next(it) if n != 1 else -1 for n in target))


def channels_last(
    node: OnnxNode, act: Act, consts: list[object], apply: Callable[[Act, list[object]], Act]
) -> Act:
    """A channels-last Conv/MaxPool/BatchNormalization: qonnx runs the standard op on the input
    (and a Conv's weights) moved channels first, and moves the result back channels last."""
    if node.op_type not in CHANNELS_LAST_OPS:
        raise FrontendError(
            f"{node.where}: op {node.op_type} is not supported in domain {node.domain}; "
            f"supported there: {', '.join(CHANNELS_LAST_OPS)}"
        )
    rank = len(act.onnx_shape)
    last = (0, *range(2, rank), 1)  # qonnx's to_channels_last_args
    first = (0, rank - 1, *range(1, rank - 1))  # to_channels_first_args
    expected = tuple((-1, *range(rank - 1))[p] for p in last)
    if act.axes != expected:
        raise FrontendError(
            f"{node.where}: input must be channels last "
            f"{[1, *act.value.shape[1:], act.value.shape[0]]}, not {list(act.onnx_shape)}"
        )
    if node.op_type == "Conv" and consts and isinstance(consts[0], QConst | np.ndarray):
        consts = [_transpose_weights(consts[0], first), *consts[1:]]
    out = apply(replace(act, layout=None), consts)
    return out.with_layout(tuple(out.axes[p] for p in last))


def _transpose_weights(w: QConst | Array, perm: tuple[int, ...]) -> QConst | Array:
    if not isinstance(w, QConst):
        return np.transpose(w, perm)
    scale = np.broadcast_to(w.scale, w.codes.shape)
    return QConst(
        np.transpose(w.codes, perm),
        np.ascontiguousarray(np.transpose(scale, perm)),
        w.dtype,
        np.transpose(w.value, perm),
    )


def to_onnx_layout(real: Array, axes: tuple[int, ...]) -> Array:
    """Graph outputs ``[batch, *IR shape]`` in the ONNX layout ``axes`` (``Act.layout``)."""
    ir = real.shape[1:]
    listed = [a for a in axes if a >= 0]
    missing = [a for a in range(len(ir)) if a not in listed]
    moved = np.transpose(real, [0, *(1 + a for a in listed + missing)])
    return moved.reshape((real.shape[0], *(1 if a < 0 else ir[a] for a in axes[1:])))
