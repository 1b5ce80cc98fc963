"""DesignPoint: how each kernel node of a hardware graph is built (its NodeFolding), frozen,
saved and loaded as JSON; chosen by ``dse`` (presets and searches) or by hand."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from streamfold.errors import FoldingError
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.registry import block_of
from streamfold.ir.graph import Graph

_FIELDS = {"pe", "simd", "mem_style", "fifo_depth"}


@dataclass(frozen=True)
class DesignPoint:
    """Per kernel node (by name, in graph order), its NodeFolding."""

    nodes: tuple[tuple[str, NodeFolding], ...]

    def folding(self, name: str) -> NodeFolding:
        for node, folding in self.nodes:
            if node == name:
                return folding
        raise FoldingError(f"{name}: the design point must give a folding for this node")

    def to_json(self) -> str:
        body = {name: f.to_json() for name, f in self.nodes}
        return json.dumps({"nodes": body}, indent=2) + "\n"

    @staticmethod
    def from_json(text: str) -> DesignPoint:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise FoldingError(f"design point: must be JSON, not ({e})") from None
        if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
            raise FoldingError('design point: must be {"nodes": {name: {pe, simd, ...}}}')
        return DesignPoint(tuple((n, _folding(n, f)) for n, f in data["nodes"].items()))


def _folding(name: str, raw: Any) -> NodeFolding:
    if not isinstance(raw, dict) or not set(raw) <= _FIELDS:
        raise FoldingError(f"{name}: folding must be an object with keys among {sorted(_FIELDS)}")
    for key in ("pe", "simd", "fifo_depth"):
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
    )


def check_design(graph: Graph, point: DesignPoint) -> None:
    """Every kernel node has a legal folding and no folding names an unknown node."""
    names = {n.name for n in graph.nodes}
    for name, _ in point.nodes:
        if name not in names:
            raise FoldingError(f"{name}: the design point names a node the graph does not have")
    for node in graph.nodes:
        block = block_of(node)
        folding = point.folding(node.name)
        block.check_folding(node.name, block.params(graph, node), folding)
        check_fifo_depth(node.name, folding)


def check_fifo_depth(name: str, folding: NodeFolding) -> None:
    """0 (no FIFO) or at least 2 words."""
    if folding.fifo_depth == 1 or folding.fifo_depth < 0:
        raise FoldingError(
            f"{name}: fifo_depth must be 0 (no FIFO) or >= 2, not {folding.fifo_depth}"
        )
