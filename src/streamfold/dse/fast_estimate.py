"""The whole-design estimate of a design point without generating RTL: the stages that
``design.stitch`` builds (kernels; per value with several consumers a chain of two-way forks;
per edge a width converter and a FIFO as ``hw.glue`` decides), their StageCosts with the
stages feeding them, and their resources, in stitch's stage order, so that
``cost.estimate.follow`` gives the pipeline ``cost.design_cost.estimate_design`` gives on the
stitched design (tests/dse check that the two agree).

The search (``dse.search.Space``) supplies each kernel's formats and resources from its caches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from streamfold.cost.design_cost import DesignEstimate, LayerEstimate
from streamfold.cost.devices import Device
from streamfold.cost.estimate import StageCost, follow, glue_cost, kernel_stage
from streamfold.design.point import DesignPoint, edge_name
from streamfold.hw.block import StreamFormat
from streamfold.hw.dwc import cost as dwc_cost
from streamfold.hw.fifo import cost as fifo_cost
from streamfold.hw.fork import cost as fork_cost
from streamfold.hw.fork.rtl import fork_instance
from streamfold.hw.glue import glue
from streamfold.ir.graph import Graph
from streamfold.synth.resources import Resources

GLUE_COST = {"fifo": fifo_cost, "dwc": dwc_cost, "fork": fork_cost}


@dataclass(frozen=True)
class Kernel:
    """What the estimate needs of one kernel under the point's folding."""

    block: Any
    params: Any
    streams_in: tuple[StreamFormat, ...]
    stream_out: StreamFormat
    resources: Resources


@dataclass(frozen=True)
class _Sink:
    node: str  # "" for the top output
    port: int
    elems: int | None  # elements per word the consumer's port takes (None: the top output)
    edge: str


@dataclass
class _Walk:
    graph: Graph
    point: DesignPoint
    family: Any
    costs: list[StageCost] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)  # per stage, the node it belongs to
    used: list[Resources] = field(default_factory=list)
    inputs: dict[str, list[int]] = field(default_factory=dict)  # node -> driving stage per port

    def sinks(self, value: str, producer: str, kernels: dict[str, Kernel]) -> list[_Sink]:
        out = []
        for node in self.graph.consumers(value):
            for port, name in enumerate(node.inputs):
                if name == value:
                    edge = edge_name(producer, node.name, port, len(node.inputs))
                    elems = kernels[node.name].streams_in[port].elems
                    out.append(_Sink(node.name, port, elems, edge))
        if value in self.graph.outputs:
            out.append(_Sink("", 0, None, edge_name(producer, "output", 0, 1)))
        return out

    def add(self, cost: StageCost, owner: str, used: Resources) -> int:
        self.costs.append(cost)
        self.owners.append(owner)
        self.used.append(used)
        return len(self.costs) - 1

    def connect(
        self, owner: str, source: int, fmt: StreamFormat, sinks: list[_Sink], default: int
    ) -> None:
        """Mirror of ``design.stitch._Builder.connect``: forks, then per sink the glue."""
        single = len(sinks) == 1
        for k, sink in enumerate(sinks):
            stream = source
            if k + 1 < len(sinks):
                name = f"{owner}_fork{k}" if len(sinks) > 2 else f"{owner}_fork"
                rtl = fork_instance(fmt)
                cost = glue_cost(name, "fork", rtl)
                used = fork_cost.resources(rtl, self.family)
                stream = source = self.add(_fed(cost, (source,)), owner, used)
            last = sink.node == ""
            target = fmt.elems if sink.elems is None else sink.elems
            depth = self.point.fifo(sink.edge, default)
            prefix = owner if single else f"{owner}_to_{sink.node or 'output'}"
            if not single and sink.node and sum(s.node == sink.node for s in sinks) > 1:
                prefix += f"_{sink.port}"
            for name, kind, rtl in glue(prefix, fmt, target, depth, last):
                used = GLUE_COST[kind].resources(rtl, self.family)
                stream = self.add(_fed(glue_cost(name, kind, rtl), (stream,)), owner, used)
            if not last:
                self.inputs[sink.node][sink.port] = stream


def _fed(cost: StageCost, sources: tuple[int, ...]) -> StageCost:
    return replace(cost, sources=sources)


def estimate_point(
    graph: Graph,
    point: DesignPoint,
    kernel: Callable[[str], Kernel],
    dev: Device,
    clock_mhz: float,
) -> DesignEstimate:
    """``estimate_design(stitch(graph, point), dev, clock_mhz)`` from ``kernel(name)``."""
    kernels = {n.name: kernel(n.name) for n in graph.nodes}
    walk = _Walk(graph, point, dev.family)
    walk.inputs = {n.name: [-1] * len(n.inputs) for n in graph.nodes}
    x = graph.inputs[0].name
    sinks = walk.sinks(x, x, kernels)
    top = next(kernels[s.node].streams_in[s.port] for s in sinks if s.node)
    walk.connect(x, -1, top, sinks, 0)
    for node in graph.nodes:
        k = kernels[node.name]
        folding = point.folding(node.name)
        words = (k.streams_in[0].words, k.stream_out.words)
        sources = tuple(walk.inputs[node.name])
        cost = kernel_stage(node.name, k.block, k.params, folding, words, sources)
        at = walk.add(cost, node.name, k.resources)
        sinks = walk.sinks(node.output.name, node.name, kernels)
        walk.connect(node.name, at, k.stream_out, sinks, folding.fifo_depth)
    pipeline = follow(walk.costs, top.words)
    layers = []
    first = graph.nodes[0].name  # glue of the graph input (forks) counts in the first layer
    for node in graph.nodes:
        used = Resources()
        for owner, r in zip(walk.owners, walk.used, strict=True):
            if owner == node.name or (node.name == first and owner == x):
                used = used + r
        cycles = next(c.cycles for c in walk.costs if c.name == node.name and c.kind == "kernel")
        layers.append(LayerEstimate(node.name, point.folding(node.name), cycles, used))
    return DesignEstimate(dev, clock_mhz, tuple(layers), pipeline)
