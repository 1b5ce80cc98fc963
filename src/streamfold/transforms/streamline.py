"""streamline: the pipeline from an exported nn graph to an integer-only graph."""

from __future__ import annotations

from collections.abc import Mapping

from streamfold.ir.graph import Graph
from streamfold.ir.verify import verify
from streamfold.transforms.infer_types import infer_types
from streamfold.transforms.lower_requantize import Lowering, lower_requantize


def streamline(graph: Graph, lowering: Lowering | Mapping[str, Lowering] | None = None) -> Graph:
    """nn graph (exact rational scales) -> integer-only graph with the same outputs.

    Scales, biases and folded BatchNorm already sit in each Requantize's exact mul/add (the
    frontends put them there); this lowers each Requantize to thresholds or multiply-shift
    (``lowering``: one for all, per node name, or None to choose by cost), then re-derives the
    minimal accumulator types. The result verifies at stage "hw".
    """
    verify(graph, "nn")
    graph = infer_types(graph)
    graph = lower_requantize(graph, lowering)
    graph = infer_types(graph).with_stage("hw")
    return verify(graph, "hw")
