"""``verify(graph, stage)``: the runnable spec of which graphs are legal at each stage.

Stages:
- ``nn``: exported networks: integer ops plus Requantize with exact rational scales.
- ``hw``: integers only: every Requantize has been lowered to MultiThreshold or MulShift.
In both, every value is typed, shapes agree, and each accumulating op's type holds the exact
range its weights can produce (so nothing downstream can overflow).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from streamfold.errors import IRError
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node, Value
from streamfold.ir.intervals import join_interval, output_interval
from streamfold.ir.ops import (
    KERNEL_TYPES,
    OP_TYPES,
    Add,
    Conv,
    MatMul,
    MulShift,
    MultiThreshold,
    Mvau,
    Pad,
    Requantize,
    Thresholding,
    Vvau,
    input_count,
)
from streamfold.ir.shapes import join_shape

STAGES = ("nn", "hw")
_STAGE_OPS: dict[str, tuple[type, ...]] = {
    "nn": tuple(t for t in OP_TYPES if t not in KERNEL_TYPES),
    "hw": tuple(t for t in OP_TYPES if t is not Requantize),
}


def verify(graph: Graph, stage: str | None = None) -> Graph:
    """Check ``graph`` against ``stage`` (default: its own); returns it for chaining."""
    stage = graph.stage if stage is None else stage
    if stage not in STAGES:
        raise IRError(f"verify: stage must be one of {', '.join(STAGES)}, not {stage!r}")
    known: dict[str, Value] = {}
    for value in graph.inputs:
        _define(known, value, "graph input")
    for node in graph.nodes:
        _check_node(node, known, stage)
        _define(known, node.output, f"node {node.name}")
    _check_outputs(graph, known)
    return graph


def _define(known: dict[str, Value], value: Value, where: str) -> None:
    if value.name in known:
        raise IRError(f"{where}: value name {value.name!r} must be unique")
    if not value.shape or min(value.shape) < 1:
        raise IRError(f"{where}: shape of {value.name} must be non-empty, not {value.shape}")
    known[value.name] = value


def _check_node(node: Node, known: dict[str, Value], stage: str) -> None:
    where = f"node {node.name} ({type(node.op).__name__}, stage {stage})"
    if not isinstance(node.op, _STAGE_OPS[stage]):
        allowed = ", ".join(t.__name__ for t in _STAGE_OPS[stage])
        raise IRError(f"{where}: op must be one of {allowed}")
    xs = _inputs(node, known, where)
    x = xs[0]
    try:
        shape = join_shape(node.op, tuple(v.shape for v in xs))
        _check_params(node, x)
    except IRError as e:
        raise IRError(f"{where}: {e}") from None
    if shape != node.output.shape:
        raise IRError(f"{where}: output shape must be {shape}, not {node.output.shape}")
    if len(xs) > 1:
        interval = join_interval(node.op, tuple(v.dtype for v in xs))
    else:
        interval = output_interval(node.op, x.dtype, x.shape)
    if interval is not None and not node.output.dtype.contains(*interval):
        raise IRError(
            f"{where}: output type must hold [{interval[0]}, {interval[1]}], "
            f"not {node.output.dtype}"
        )


def _inputs(node: Node, known: dict[str, Value], where: str) -> list[Value]:
    """The node's input values, after checking their number (``input_count``) and definition."""
    count = input_count(node.op)
    if count is None and len(node.inputs) < 2:
        raise IRError(f"{where}: must have at least 2 inputs, not {len(node.inputs)}")
    if count == 1 and len(node.inputs) != 1:
        raise IRError(f"{where}: must have exactly one input, not {len(node.inputs)}")
    if count is not None and count != len(node.inputs):
        raise IRError(f"{where}: must have {count} inputs, not {len(node.inputs)}")
    for name in node.inputs:
        if name not in known:
            raise IRError(f"{where}: input {name!r} must be defined before use")
    return [known[name] for name in node.inputs]


def _check_params(node: Node, x: Value) -> None:
    op, channels, out = node.op, x.shape[0], node.output.dtype
    match op:
        case MatMul() | Conv() | Mvau() | Vvau():
            w: Any = op.weight.array
            if w.size and not op.weight_dtype.contains(int(w.min()), int(w.max())):
                raise IRError(f"weights must lie in {op.weight_dtype}")
            if op.weight_dtype.bipolar and not np.isin(w, (-1, 1)).all():
                raise IRError("bipolar weights must be -1 or +1")
            if isinstance(op, Mvau | Vvau) and op.thresholds is not None:
                _check_thresholds(op.thresholds.array, op.weight.shape[0], out)
            if isinstance(op, Mvau) and (op.multiplier or op.bias or op.shift):
                if op.thresholds is not None:
                    raise IRError("an Mvau takes thresholds or a multiply-shift, not both")
                for name in ("multiplier", "bias", "shift"):
                    _per_channel(name, len(getattr(op, name)), op.weight.shape[0])
        case Add():
            if len(op.factors) < 2 or 0 in op.factors:
                raise IRError(f"factors must be >= 2 nonzero integers, not {op.factors}")
        case Requantize():
            _per_channel("mul", len(op.mul), channels)
            _per_channel("add", len(op.add), channels)
        case MulShift():
            for name in ("multiplier", "bias", "shift"):
                _per_channel(name, len(getattr(op, name)), channels)
            if min(op.shift) < 0:
                raise IRError(f"shift must be >= 0, not {min(op.shift)}")
        case MultiThreshold() | Thresholding():
            _check_thresholds(op.thresholds.array, channels, out)
        case Pad():
            if not out.holds(op.value):
                raise IRError(f"pad value {op.value} must be a value of the output type {out}")


def _check_thresholds(t: Any, channels: int, out: IntType) -> None:
    if t.ndim != 2:
        raise IRError(f"thresholds must be 2-D [channels, levels - 1], not {list(t.shape)}")
    _per_channel("thresholds", t.shape[0], channels)
    if t.shape[1] != out.levels - 1:
        raise IRError(
            f"thresholds must be [channels, {out.levels - 1}] for {out}, not {list(t.shape)}"
        )
    if t.shape[1] > 1 and (np.diff(t.astype(object), axis=1) < 0).any():
        raise IRError("thresholds must ascend along each channel")


def _per_channel(name: str, n: int, channels: int) -> None:
    if n not in (1, channels):
        raise IRError(f"{name} must have 1 or {channels} entries, not {n}")


def _check_outputs(graph: Graph, known: dict[str, Value]) -> None:
    if not graph.outputs:
        raise IRError("graph: must have at least one output")
    for name in graph.outputs:
        if name not in known:
            raise IRError(f"graph output {name!r} must be a defined value")
    for name, scale in graph.scales:
        if name not in graph.outputs:
            raise IRError(f"scale for {name!r}: must belong to a graph output")
        channels = known[name].shape[0]
        _per_channel(f"output {name} scale mul", len(scale.mul), channels)
        _per_channel(f"output {name} scale add", len(scale.add), channels)
