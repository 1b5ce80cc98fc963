"""A Design: a hardware graph and its DesignPoint stitched into stages and the streams between
them, with the glue (width converters, FIFOs) that ``hw.glue`` decides.

Each kernel gets its block instance, then a width converter when the next kernel takes a
different number of elements per word, then a FIFO in front of the next kernel. The FIFO sits on
the consumer's side of the converter: a matrix-vector unit takes its input frame in a burst
(one word per cycle) and then replays it, and only a FIFO right in front of it can deliver such
a burst. The folding's ``fifo_depth`` counts the producer's output words; the FIFO keeps that many
elements in its own word size; 0 means no FIFO (except on the top's output).

Codegen (``codegen.top``), the cost models (``cost``), the search (``dse``) and simulation all
read a Design; it imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from streamfold.design.point import DesignPoint, check_design
from streamfold.errors import IRError
from streamfold.hw.block import RtlInstance, StreamFormat
from streamfold.hw.glue import glue
from streamfold.hw.registry import block_of
from streamfold.ir.graph import Graph
from streamfold.ir.verify import verify


@dataclass(frozen=True)
class Stage:
    """One instance in the pipeline, in stream order."""

    name: str
    kind: str  # "kernel", "fifo" or "dwc"
    node: str  # the graph node it belongs to
    rtl: RtlInstance


@dataclass(frozen=True)
class Design:
    graph: Graph
    point: DesignPoint
    stages: tuple[Stage, ...]

    @property
    def stream_in(self) -> StreamFormat:
        return self.stages[0].rtl.stream_in

    @property
    def stream_out(self) -> StreamFormat:
        return self.stages[-1].rtl.stream_out


def stitch(graph: Graph, point: DesignPoint) -> Design:
    """The pipeline for a linear chain of kernels (one input, one output)."""
    verify(graph, "hw")
    check_design(graph, point)
    _check_chain(graph)
    kernels = [_kernel(graph, point, node.name) for node in graph.nodes]
    stages: list[Stage] = []
    for k, kernel in enumerate(kernels):
        name, out = kernel.name, kernel.rtl.stream_out
        stages.append(kernel)
        last = k + 1 == len(kernels)
        elems = out.elems if last else kernels[k + 1].rtl.stream_in.elems
        for stage, kind, rtl in glue(name, out, elems, point.folding(name).fifo_depth, last):
            stages.append(Stage(stage, kind, name, rtl))
    return Design(graph, point, tuple(stages))


def _kernel(graph: Graph, point: DesignPoint, name: str) -> Stage:
    node = graph.node(name)
    block = block_of(node)
    return Stage(
        name, "kernel", name, block.rtl(block.params(graph, node), point.folding(name), name)
    )


def _check_chain(graph: Graph) -> None:
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise IRError("codegen: the graph must have one input and one output")
    previous = graph.inputs[0].name
    for node in graph.nodes:
        if node.inputs != (previous,):
            raise IRError(
                f"node {node.name}: codegen needs a linear chain; its input must be {previous!r}"
            )
        previous = node.output.name
    if graph.outputs[0] != previous:
        raise IRError(f"codegen: the graph output must be the last node's, {previous!r}")


def internal_streams(design: Design) -> tuple[str, ...]:
    """Names of the streams between stages (wires <name>_tvalid / _tready in the top)."""
    return tuple(f"{s.name}_out" for s in design.stages[:-1])
