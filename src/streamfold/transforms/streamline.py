"""streamline: the pipeline from an exported nn graph to an integer-only graph."""

from __future__ import annotations

from streamfold.ir.graph import Graph
from streamfold.ir.verify import verify
from streamfold.transforms.infer_types import infer_types
from streamfold.transforms.lower_requantize import Choice, lower_requantize


def streamline(graph: Graph, lowering: Choice = None) -> Graph:
    """nn graph (exact rational scales) -> integer-only graph with the same outputs.

    Scales, biases and folded BatchNorm already sit in each Requantize's exact mul/add (the
    frontends put them there); this lowers each Requantize to thresholds or multiply-shift
    (``lowering``: one for all, per node name, a chooser such as
    ``dse.requantize.cheaper_lowering``, or None for the rule of thumb), then re-derives the
    minimal accumulator types. The result verifies at stage "hw".
    """
    verify(graph, "nn")
    graph = infer_types(graph)
    graph = lower_requantize(graph, lowering)
    graph = infer_types(graph).with_stage("hw")
    return verify(graph, "hw")
