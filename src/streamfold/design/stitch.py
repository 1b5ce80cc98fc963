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

from streamfold.design.point import DesignPoint, check_design, edge_name
from streamfold.errors import IRError
from streamfold.hw.block import RtlInstance, StreamFormat
from streamfold.hw.fork.rtl import fork_instance
from streamfold.hw.glue import glue
from streamfold.hw.names import legal_identifiers
from streamfold.hw.registry import block_of
from streamfold.ir.graph import Graph
from streamfold.ir.verify import verify

TOP_IN = "s_axis"
TOP_OUT = "m_axis"


@dataclass(frozen=True)
class Stage:
    """One instance of the design, in topological (stream) order.

    ``inputs`` and ``outputs`` name the streams on its ports (``rtl.in_ports`` /
    ``rtl.out_ports``, in order); the top's own ports are the streams ``s_axis`` and ``m_axis``.
    """

    name: str
    kind: str  # "kernel", "fifo", "dwc" or "fork"
    node: str  # the graph node it belongs to (a fork or glue: the producer's)
    rtl: RtlInstance
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    # its legal, unique Verilog identifier (``hw.names``): instance ``u_<ident>``, output
    # streams ``<ident>_out`` (a fork's ``<ident>_out0/1``), memory images ``<ident>_*.hex``;
    # ``name`` keeps the graph's names for reports
    ident: str = ""


@dataclass(frozen=True)
class Design:
    """Stages and the streams between them: a DAG with one input and one output stream."""

    graph: Graph
    point: DesignPoint
    stages: tuple[Stage, ...]

    @property
    def stream_in(self) -> StreamFormat:
        for stage in self.stages:
            for port, name in enumerate(stage.inputs):
                if name == TOP_IN:
                    return stage.rtl.streams_in[port]
        raise IRError("design: no stage reads the top input")  # pragma: no cover

    @property
    def stream_out(self) -> StreamFormat:
        for stage in self.stages:
            if TOP_OUT in stage.outputs:
                return stage.rtl.stream_out
        raise IRError("design: no stage drives the top output")  # pragma: no cover


@dataclass(frozen=True)
class _Sink:
    node: str  # consumer node name; "" for the top output
    port: int
    fmt: StreamFormat | None  # what the consumer's port takes (None: the top output)
    edge: str


class _Builder:
    """Stages in topological order; each value's producer, then its forks and glue."""

    def __init__(self, graph: Graph, point: DesignPoint) -> None:
        self.graph, self.point = graph, point
        self.stages: list[Stage] = []
        idents = legal_identifiers(n.name for n in graph.nodes)
        self.kernels = {n.name: _kernel(graph, point, n.name, idents[n.name]) for n in graph.nodes}
        self.inputs: dict[str, list[str]] = {n.name: [""] * len(n.inputs) for n in graph.nodes}

    def sinks(self, value: str, producer: str) -> list[_Sink]:
        out = []
        for node in self.graph.consumers(value):
            rtl = self.kernels[node.name].rtl
            for port, name in enumerate(node.inputs):
                if name == value:
                    edge = edge_name(producer, node.name, port, len(node.inputs))
                    out.append(_Sink(node.name, port, rtl.streams_in[port], edge))
        if value in self.graph.outputs:
            out.append(_Sink("", 0, None, edge_name(producer, "output", 0, 1)))
        return out

    def connect(
        self, owner: str, source: str, fmt: StreamFormat, sinks: list[_Sink], default_depth: int
    ) -> None:
        """Stream ``source`` (format ``fmt``) to every sink: a chain of two-way forks when
        there are several, then per sink a width converter and a FIFO as ``glue`` decides."""
        single = len(sinks) == 1
        for k, sink in enumerate(sinks):
            stream = source
            if k + 1 < len(sinks):
                fork = f"{owner}_fork{k}" if len(sinks) > 2 else f"{owner}_fork"
                outs = (f"{fork}_out0", f"{fork}_out1")
                self.stages.append(Stage(fork, "fork", owner, fork_instance(fmt), (source,), outs))
                stream, source = outs
            last = sink.node == ""
            target = fmt.elems if sink.fmt is None else sink.fmt.elems
            depth = self.point.fifo(sink.edge, default_depth)
            prefix = owner if single else f"{owner}_to_{sink.node or 'output'}"
            if not single and sink.node and sum(s.node == sink.node for s in sinks) > 1:
                prefix += f"_{sink.port}"
            for name, kind, rtl in glue(prefix, fmt, target, depth, last):
                out = f"{name}_out"
                self.stages.append(Stage(name, kind, owner, rtl, (stream,), (out,)))
                stream = out
            if last:
                self._rename_last(stream)
            else:
                self.inputs[sink.node][sink.port] = stream

    def _rename_last(self, stream: str) -> None:
        """The stage driving ``stream`` drives the top output instead."""
        i = next(i for i, s in enumerate(self.stages) if stream in s.outputs)
        s = self.stages[i]
        outputs = tuple(TOP_OUT if o == stream else o for o in s.outputs)
        self.stages[i] = Stage(s.name, s.kind, s.node, s.rtl, s.inputs, outputs)


def stitch(graph: Graph, point: DesignPoint) -> Design:
    """The design of a hardware graph: a DAG of kernels (one input, one output value), with a
    fork wherever a value has several consumers and the glue of ``hw.glue`` on every edge."""
    verify(graph, "hw")
    check_design(graph, point)
    _check_io(graph)
    b = _Builder(graph, point)
    x = graph.inputs[0].name
    sinks = b.sinks(x, x)
    top_fmt = next(s.fmt for s in sinks if s.fmt is not None)
    b.connect(x, TOP_IN, top_fmt, sinks, 0)
    kernel_at: dict[str, int] = {}
    for node in graph.nodes:
        kernel = b.kernels[node.name]
        out = f"{node.name}_out"
        kernel_at[node.name] = len(b.stages)
        b.stages.append(Stage(kernel.name, kernel.kind, kernel.node, kernel.rtl, (), (out,)))
        depth = point.folding(node.name).fifo_depth
        sinks = b.sinks(node.output.name, node.name)
        b.connect(node.name, out, kernel.rtl.stream_out, sinks, depth)
    stages = b.stages
    for name, at in kernel_at.items():
        k = stages[at]
        stages[at] = Stage(k.name, k.kind, k.node, k.rtl, tuple(b.inputs[name]), k.outputs)
    return Design(graph, point, _legal_names(graph, stages))


def _legal_names(graph: Graph, stages: list[Stage]) -> tuple[Stage, ...]:
    """Each stage with its identifier, and every stream renamed after its driver's: kernels
    first (their identifiers name their memory images already), then forks and glue."""
    names = [n.name for n in graph.nodes] + [s.name for s in stages if s.kind != "kernel"]
    idents = legal_identifiers(names)
    wire = {TOP_IN: TOP_IN, TOP_OUT: TOP_OUT}
    for s in stages:
        for o in s.outputs:
            if o not in wire:
                wire[o] = idents[s.name] + o[len(s.name) :]
    return tuple(
        Stage(
            s.name,
            s.kind,
            s.node,
            s.rtl,
            tuple(wire[i] for i in s.inputs),
            tuple(wire[o] for o in s.outputs),
            idents[s.name],
        )
        for s in stages
    )


def _kernel(graph: Graph, point: DesignPoint, name: str, ident: str) -> Stage:
    node = graph.node(name)
    block = block_of(node)
    rtl = block.rtl(block.params(graph, node), point.folding(name), ident)
    return Stage(name, "kernel", name, rtl, ident=ident)


def _check_io(graph: Graph) -> None:
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise IRError("codegen: the graph must have one input and one output")
    used = {i for n in graph.nodes for i in n.inputs} | set(graph.outputs)
    unused = [n.name for n in graph.nodes if n.output.name not in used]
    if unused:
        raise IRError(f"node {unused[0]}: its output must be used (by a node or as the output)")
    if graph.inputs[0].name not in used:
        raise IRError("codegen: the graph input must be read by a node")


def internal_streams(design: Design) -> tuple[str, ...]:
    """Names of the streams between stages (wires <name>_tvalid / _tready in the top), in
    stage order."""
    return tuple(o for s in design.stages for o in s.outputs if o != TOP_OUT)
