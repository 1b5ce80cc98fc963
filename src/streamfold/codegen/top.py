"""Stitch a kernel graph and its DesignPoint into one AXI-Stream dataflow top, and write a build
directory: RTL, memory images, the graph, the design point and ``manifest.json``.

Each kernel gets its block instance, then a width converter when the next kernel takes a
different number of elements per word, then a FIFO in front of the next kernel. The FIFO sits on
the consumer's side of the converter: a matrix-vector unit takes its input frame in a burst
(one word per cycle) and then replays it, and only a FIFO right in front of it can deliver such
a burst. The folding's ``fifo_depth`` counts the producer's output words; the FIFO keeps that many
elements in its own word size; 0 means no FIFO (except on the top's output). The top has one AXI-
Stream input (the first kernel's format) and one output (the last kernel's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamfold import __version__
from streamfold.codegen.build_dir import MANIFEST, manifest_bytes, sha256, write_files
from streamfold.codegen.verilog import Direction, Instance, Module, Port, Wire, emit
from streamfold.dse.design_point import DesignPoint, check_design
from streamfold.errors import IRError, ResourceError
from streamfold.hw.block import RtlInstance, StreamFormat
from streamfold.hw.glue import glue
from streamfold.hw.registry import block_of
from streamfold.ir.graph import Graph
from streamfold.ir.text import print_graph
from streamfold.ir.verify import verify

TOP = "sf_top"
# The largest memory image a build writes: far above any network that fits a device of the
# database (CNV-W1A1's largest is 64 KiB), far below one that takes minutes to generate.
MAX_IMAGE_BYTES = 16 << 20


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
    top: Module

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
    return Design(graph, point, tuple(stages), _top_module(stages))


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


def _top_module(stages: list[Stage]) -> Module:
    first, last = stages[0].rtl.stream_in, stages[-1].rtl.stream_out
    ports = (
        Port("clk", Direction.INPUT),
        Port("rst_n", Direction.INPUT),
        Port("s_axis_tdata", Direction.INPUT, first.width),
        Port("s_axis_tvalid", Direction.INPUT),
        Port("s_axis_tready", Direction.OUTPUT),
        Port("m_axis_tdata", Direction.OUTPUT, last.width),
        Port("m_axis_tvalid", Direction.OUTPUT),
        Port("m_axis_tready", Direction.INPUT),
    )
    wires: list[Wire] = []
    instances: list[Instance] = []
    source = "s_axis"
    for k, stage in enumerate(stages):
        sink = "m_axis" if k == len(stages) - 1 else f"{stage.name}_out"
        if sink != "m_axis":
            width = stage.rtl.stream_out.width
            wires += [Wire(f"{sink}_tdata", width), Wire(f"{sink}_tvalid"), Wire(f"{sink}_tready")]
        conns = (
            ("clk", "clk"),
            ("rst_n", "rst_n"),
            ("s_axis_tdata", f"{source}_tdata"),
            ("s_axis_tvalid", f"{source}_tvalid"),
            ("s_axis_tready", f"{source}_tready"),
            ("m_axis_tdata", f"{sink}_tdata"),
            ("m_axis_tvalid", f"{sink}_tvalid"),
            ("m_axis_tready", f"{sink}_tready"),
        )
        instances.append(Instance(stage.rtl.module, f"u_{stage.name}", stage.rtl.parameters, conns))
        source = sink
    header = (
        f"Generated by streamfold {__version__}: a dataflow pipeline of {len(stages)} stages.",
        "Do not edit; regenerate with `streamfold build`.",
    )
    return Module(TOP, ports, tuple(wires), tuple(instances), header=header)


def internal_streams(design: Design) -> tuple[str, ...]:
    """Names of the streams between stages (wires <name>_tvalid / _tready in the top)."""
    return tuple(f"{s.name}_out" for s in design.stages[:-1])


def design_files(design: Design) -> dict[str, bytes]:
    """Every file of the build directory, by relative path; deterministic."""
    files: dict[str, bytes] = {}
    files[f"rtl/{TOP}.v"] = emit(design.top).encode()
    for stage in design.stages:
        for src in stage.rtl.sources:
            files[f"rtl/{src.name}"] = src.read_bytes()
        for name, content in stage.rtl.memories:
            if len(content) > MAX_IMAGE_BYTES:
                raise ResourceError(
                    f"node {stage.node}: memory image {name} must be at most "
                    f"{MAX_IMAGE_BYTES >> 20} MiB, not {len(content) / (1 << 20):.1f} MiB"
                )
            files[f"rtl/{name}"] = content.encode()
    files["graph.hw.sfir"] = print_graph(design.graph).encode()
    files["design_point.json"] = design.point.to_json().encode()
    files[MANIFEST] = _manifest(design, files)
    return dict(sorted(files.items()))


def _format_json(fmt: StreamFormat) -> dict[str, Any]:
    return {"dtype": str(fmt.dtype), "elems": fmt.elems, "vector": fmt.vector, "width": fmt.width}


def _manifest(design: Design, files: dict[str, bytes]) -> bytes:
    from streamfold.cost.estimate import estimate_pipeline

    est = estimate_pipeline(design)
    body = {
        "streamfold": __version__,
        "tools": _tools(),
        "top": TOP,
        "stream_in": _format_json(design.stream_in),
        "stream_out": _format_json(design.stream_out),
        # graph value shapes, channels first; streams carry them channels-last (sim.stream)
        "input_shape": list(design.graph.inputs[0].shape),
        "output_shape": list(design.graph.value(design.graph.outputs[0]).shape),
        "design_point": json.loads(design.point.to_json()),
        "inputs": {
            "graph_sha256": sha256(files["graph.hw.sfir"]),
            "design_point_sha256": sha256(files["design_point.json"]),
        },
        "predicted": est.to_json(),
        "internal_streams": list(internal_streams(design)),
        "sources": sorted(name for name in files if name.endswith((".v", ".sv"))),
        "memories": sorted(name for name in files if name.endswith(".hex")),
        "files": {name: sha256(data) for name, data in sorted(files.items())},
    }
    return manifest_bytes(body)


def _tools() -> dict[str, str | None]:
    """Versions of the tools that will consume this build (None: not installed here)."""
    from streamfold.errors import ToolError
    from streamfold.sim.rtl import find_verilator

    try:
        verilator: str | None = find_verilator().version
    except ToolError:
        verilator = None
    return {"streamfold": __version__, "verilator": verilator}


def write_build(design: Design, out_dir: Path) -> Path:
    """Write the build directory as one transaction (``codegen.build_dir.write_files``).

    An existing ``out_dir`` is replaced only if it is a streamfold build directory.
    """
    return write_files(design_files(design), Path(out_dir))
