"""infer_types: give every accumulating op the narrowest type that holds its exact range."""

from __future__ import annotations

from dataclasses import replace

from streamfold.errors import IRError
from streamfold.ir.dtypes import narrowest
from streamfold.ir.graph import Graph, Node, Value
from streamfold.ir.intervals import output_interval
from streamfold.ir.ops import DepthToSpace, Flatten, MaxPool, Pad, SlidingWindow, Upsample


def infer_types(graph: Graph) -> Graph:
    """Recompute MatMul/Conv output types from actual weights and input types (interval analysis).

    MaxPool, Flatten, SlidingWindow, Upsample and DepthToSpace pass their input type through,
    and so does Pad when the type holds its value; ops with a declared output type
    (Requantize, MultiThreshold, MulShift) keep it. Ensures: verify() accepts every output type,
    and each accumulator is minimal for its weights.
    """
    types = {v.name: v.dtype for v in graph.inputs}
    shapes = {v.name: v.shape for v in graph.inputs} | {
        n.output.name: n.output.shape for n in graph.nodes
    }
    nodes: list[Node] = []
    for node in graph.nodes:
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
