"""crd_to_dcr: a CRD DepthToSpace fed straight by a per-pixel Mvau becomes a DCR DepthToSpace,
the Mvau's output channels permuted to match (its weight and threshold rows, and per-row
multiply-shift constants).

In CRD mode an output word's channels are ``b * b`` input channels apart, so the hardware block
moves one channel per cycle (SIMD 1); in DCR they are adjacent and any SIMD dividing C works.
The permutation costs no hardware: the Mvau computes its rows in another order. DCR channel
``k * C + c`` is CRD channel ``c * b * b + k``.

Requires: a kernel graph (``lower_to_kernels``). Ensures: same outputs for every input; value
names, shapes and types unchanged.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import DepthToSpace, DepthToSpaceMode, IntArray, Mvau


def crd_to_dcr(graph: Graph) -> Graph:
    nodes = list(graph.nodes)
    for i, node in enumerate(graph.nodes):
        producer = _permutable_producer(graph, node)
        if producer is None:
            continue
        assert isinstance(node.op, DepthToSpace) and isinstance(producer.op, Mvau)
        b, channels = node.op.block_size, node.output.shape[0]
        order = np.arange(channels * b * b).reshape(channels, b * b).T.ravel()
        mv = producer.op
        thresholds = mv.thresholds
        if thresholds is not None and thresholds.shape[0] > 1:
            thresholds = IntArray(thresholds.array[order])
        permuted = replace(
            mv,
            weight=IntArray(mv.weight.array[order]),
            thresholds=thresholds,
            multiplier=_rows(mv.multiplier, order),
            bias=_rows(mv.bias, order),
            shift=_rows(mv.shift, order),
        )
        nodes[graph.nodes.index(producer)] = replace(producer, op=permuted)
        nodes[i] = replace(node, op=DepthToSpace(b, DepthToSpaceMode.DCR))
    return replace(graph, nodes=tuple(nodes))


def _rows(values: tuple[int, ...], order: np.ndarray) -> tuple[int, ...]:
    """Per-row multiply-shift constants in the permuted row order (one for all stays)."""
    return values if len(values) <= 1 else tuple(values[int(i)] for i in order)


def _permutable_producer(graph: Graph, node: Node) -> Node | None:
    """The per-pixel Mvau feeding CRD DepthToSpace ``node`` and nothing else, if any."""
    op = node.op
    if not isinstance(op, DepthToSpace) or op.mode is not DepthToSpaceMode.CRD:
        return None
    producer = graph.producer(node.inputs[0])
    if producer is None or not isinstance(producer.op, Mvau) or not producer.op.per_pixel:
        return None
    if producer.output.name in graph.outputs or len(graph.consumers(producer.output.name)) != 1:
        return None
    return producer
