"""infer_types: give every accumulating op the narrowest type that holds its exact range."""

from __future__ import annotations

from dataclasses import replace

from streamfold.errors import IRError
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.graph import Graph, Node, Value
from streamfold.ir.intervals import join_type, output_interval
from streamfold.ir.ops import (
    DepthToSpace,
    Flatten,
    MaxPool,
    Pad,
    SlidingWindow,
    Upsample,
)


def infer_types(graph: Graph) -> Graph:
    """Recompute MatMul/Conv output types from actual weights and input types (interval analysis).

    Add gets the exact range of its weighted sum; Concat its inputs' common type (else the
    narrowest holding them all). MaxPool, Flatten, SlidingWindow, Upsample and DepthToSpace pass
    their input type through, and so does Pad when the type holds its value; ops with a
    declared output type (Requantize, MultiThreshold, MulShift) keep it. Ensures: verify()
    accepts every output type, and each accumulator is minimal for its weights.
    """
    types = {v.name: v.dtype for v in graph.inputs}
    shapes = {v.name: v.shape for v in graph.inputs} | {
        n.output.name: n.output.shape for n in graph.nodes
    }
    nodes: list[Node] = []
    for node in graph.nodes:
        if len(node.inputs) > 1:
            dtype = _join_type(node, [types.get(name) for name in node.inputs])
            nodes.append(replace(node, output=Value(node.output.name, dtype, node.output.shape)))
            types[node.output.name] = dtype
            continue
        x = types.get(node.inputs[0])
        if x is None:
            raise IRError(f"node {node.name}: input {node.inputs[0]!r} must be defined before use")
        dtype = node.output.dtype
        if isinstance(node.op, MaxPool | Flatten | SlidingWindow | Upsample | DepthToSpace) or (
            isinstance(node.op, Pad) and x.holds(node.op.value)
        ):
            dtype = x
        elif (interval := output_interval(node.op, x, shapes.get(node.inputs[0]))) is not None:
            dtype = narrowest(*interval)
        out = Value(node.output.name, dtype, node.output.shape)
        nodes.append(replace(node, output=out))
        types[out.name] = dtype
    return replace(graph, nodes=tuple(nodes))


def _join_type(node: Node, xs: list[IntType | None]) -> IntType:
    """An Add's exact sum range; a Concat keeps its inputs' type when they share one."""
    known = [x for x in xs if x is not None]
    if len(known) != len(xs):
        missing = node.inputs[xs.index(None)]
        raise IRError(f"node {node.name}: input {missing!r} must be defined before use")
    joined = join_type(node.op, tuple(known))
    return node.output.dtype if joined is None else joined
