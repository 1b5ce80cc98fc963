"""DesignPoint: how each kernel node of a hardware graph is built (its NodeFolding), frozen,
saved and loaded as JSON; chosen by ``dse`` (presets and searches) or by hand."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from streamfold.errors import FoldingError
from streamfold.hw.block import MemStyle, NodeFolding, check_one_pixel
from streamfold.hw.registry import block_of
from streamfold.ir.graph import Graph

_FIELDS = {"pe", "simd", "mem_style", "fifo_depth", "mmv"}


@dataclass(frozen=True)
class DesignPoint:
    """Per kernel node (by name, in graph order), its NodeFolding."""

    nodes: tuple[tuple[str, NodeFolding], ...]
    # FIFO depths (in the producer's output words, 0: none) of stream edges named by
    # ``design.stitch.edge_name`` ("producer->consumer"), where a value has several consumers
    # (a single consumer's FIFO is its producer's ``fifo_depth``).
    fifos: tuple[tuple[str, int], ...] = ()
    # The device the point was chosen for (``explore``, or by hand); ``build`` checks the fit
    # against it unless told another device. None: not recorded.
    device: str | None = None

    def folding(self, name: str) -> NodeFolding:
        for node, folding in self.nodes:
            if node == name:
                return folding
        raise FoldingError(f"{name}: the design point must give a folding for this node")

    def fifo(self, edge: str, default: int) -> int:
        """The FIFO depth of stream edge ``edge``: given, else ``default``."""
        return dict(self.fifos).get(edge, default)

    def to_json(self) -> str:
        body: dict[str, Any] = {"nodes": {name: f.to_json() for name, f in self.nodes}}
        if self.fifos:
            body["fifos"] = dict(self.fifos)
        if self.device is not None:
            body["device"] = self.device
        return json.dumps(body, indent=2) + "\n"

    @staticmethod
    def from_json(text: str) -> DesignPoint:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise FoldingError(f"design point: must be JSON, not ({e})") from None
        if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
            raise FoldingError('design point: must be {"nodes": {name: {pe, simd, ...}}}')
        fifos = data.get("fifos", {})
        if not isinstance(fifos, dict) or set(data) - {"nodes", "fifos", "device"}:
            raise FoldingError(
                'design point: must be {"nodes": {...}, "fifos": {edge: depth}, "device": name}'
                " (fifos and device optional)"
            )
        dev = data.get("device")
        if dev is not None and not isinstance(dev, str):
            raise FoldingError(f"design point: device must be a device name, not {dev!r}")
        for edge, depth in fifos.items():
            if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0 or depth == 1:
                raise FoldingError(
                    f"{edge}: fifo depth must be 0 (no FIFO) or an integer >= 2, not {depth!r}"
                )
        nodes = tuple((n, _folding(n, f)) for n, f in data["nodes"].items())
        return DesignPoint(nodes, tuple(sorted(fifos.items())), dev)


def _folding(name: str, raw: Any) -> NodeFolding:
    if not isinstance(raw, dict) or not set(raw) <= _FIELDS:
        raise FoldingError(f"{name}: folding must be an object with keys among {sorted(_FIELDS)}")
    for key in ("pe", "simd", "fifo_depth", "mmv"):
        value = raw.get(key, 1 if key != "fifo_depth" else 2)
        least = 0 if key == "fifo_depth" else 1
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            what = "a positive integer" if least else "an integer >= 0 (0: no FIFO)"
            raise FoldingError(f"{name}: {key} must be {what}, not {value!r}")
    style = raw.get("mem_style", MemStyle.DISTRIBUTED.value)
    styles = [s.value for s in MemStyle]
    if style not in styles:
        raise FoldingError(f"{name}: mem_style must be one of {', '.join(styles)}, not {style!r}")
    return NodeFolding(
        pe=raw.get("pe", 1),
        simd=raw.get("simd", 1),
        mem_style=MemStyle(style),
        fifo_depth=raw.get("fifo_depth", 2),
        mmv=raw.get("mmv", 1),
    )


def edge_name(producer: str, consumer: str, port: int, ports: int) -> str:
    """The name of the stream edge from value producer ``producer`` (a node or the graph
    input) into input ``port`` of node ``consumer`` (one of its ``ports``): the key of a FIFO
    depth in a DesignPoint. The top output is the consumer ``output``."""
    return f"{producer}->{consumer}" + (f":{port}" if ports > 1 else "")


def edge_names(graph: Graph) -> tuple[str, ...]:
    """Every stream edge of ``graph`` that may have its own FIFO depth: those out of a value
    with several consumers (the graph output counts as one)."""
    names = []
    for producer, value in [(v.name, v.name) for v in graph.inputs] + [
        (n.name, n.output.name) for n in graph.nodes
    ]:
        sinks = [
            edge_name(producer, c.name, port, len(c.inputs))
            for c in graph.nodes
            for port, name in enumerate(c.inputs)
            if name == value
        ]
        if value in graph.outputs:
            sinks.append(edge_name(producer, "output", 0, 1))
        if len(sinks) > 1:
            names += sinks
    return tuple(names)


def check_design(graph: Graph, point: DesignPoint) -> None:
    """Every kernel node has a legal folding, and no folding or FIFO depth names an unknown
    node or edge."""
    names = {n.name for n in graph.nodes}
    edges = edge_names(graph)
    for edge, _ in point.fifos:
        if edge not in edges:
            known = ", ".join(edges) or "none: no value has several consumers"
            raise FoldingError(
                f"{edge}: the design point gives a FIFO depth for an edge the graph does not "
                f"have; edges with their own depth: {known}"
            )
    for name, _ in point.nodes:
        if name not in names:
            raise FoldingError(f"{name}: the design point names a node the graph does not have")
    for node in graph.nodes:
        block = block_of(node)
        folding = point.folding(node.name)
        if not block.multi_pixel:
            check_one_pixel(node.name, folding)
        block.check_folding(node.name, block.params(graph, node), folding)
        check_fifo_depth(node.name, folding)


def check_fifo_depth(name: str, folding: NodeFolding) -> None:
    """0 (no FIFO) or at least 2 words."""
    if folding.fifo_depth == 1 or folding.fifo_depth < 0:
        raise FoldingError(
            f"{name}: fifo_depth must be 0 (no FIFO) or >= 2, not {folding.fifo_depth}"
        )
