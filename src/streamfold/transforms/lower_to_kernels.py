"""lower_to_kernels: integer nn ops -> hardware kernels (the ops with a hardware block).

- MatMul whose only consumer is a MultiThreshold -> one Mvau with fused thresholds;
- any other MatMul -> Mvau without thresholds (outputs the accumulator);
- MultiThreshold not fused -> Thresholding.
Requires: an integer-only graph (``streamline`` first). Ensures: same outputs for every input;
every node is a kernel; output scales unchanged.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from streamfold.errors import IRError
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import KERNEL_TYPES, IntArray, MatMul, MultiThreshold, Mvau, Thresholding
from streamfold.ir.verify import verify


def lower_to_kernels(graph: Graph) -> Graph:
    verify(graph, "hw")
    nodes: list[Node] = []
    fused: set[str] = set()
    for node in graph.nodes:
        if node.name in fused:
            continue
        nodes.append(_lower(graph, node, fused))
    return verify(replace(graph, nodes=tuple(nodes), stage="hw"), "hw")


def _lower(graph: Graph, node: Node, fused: set[str]) -> Node:
    op = node.op
    if isinstance(op, KERNEL_TYPES):
        return node
    if isinstance(op, MatMul):
        thr = _fusable_threshold(graph, node)
        if thr is None:
            return replace(node, op=Mvau(op.weight, op.weight_dtype, None))
        assert isinstance(thr.op, MultiThreshold)
        fused.add(thr.name)
        kernel = Mvau(op.weight, op.weight_dtype, _per_channel(thr.op, op.weight.shape[0]))
        return Node(node.name, kernel, node.inputs, thr.output)
    if isinstance(op, MultiThreshold):
        return replace(node, op=Thresholding(op.thresholds))
    supported = ", ".join(t.__name__ for t in (MatMul, MultiThreshold))
    raise IRError(
        f"node {node.name} ({type(op).__name__}): has no hardware block yet; "
        f"ops with one are {supported} (lower Requantize to thresholds)"
    )


def _fusable_threshold(graph: Graph, node: Node) -> Node | None:
    if node.output.name in graph.outputs:
        return None
    consumers = graph.consumers(node.output.name)
    if len(consumers) == 1 and isinstance(consumers[0].op, MultiThreshold):
        return consumers[0]
    return None


def _per_channel(op: MultiThreshold, channels: int) -> IntArray:
    """Per-tensor thresholds repeated per channel: each PE of an Mvau stores its own rows."""
    t = op.thresholds
    if t.shape[0] == channels:
        return t
    return IntArray(np.repeat(t.array, channels, axis=0))
