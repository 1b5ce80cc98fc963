"""The structural ceiling of a kernel graph: the fewest cycles per frame any folding reaches,
and the node that sets it.

A pipeline is as fast as its slowest stage, and every block has a fastest legal folding (all
lanes busy): no folding of the whole graph can beat the slowest of those. A sliding window on
a 1-channel 28x28 image, for example, emits one word per window position and output pixel
(a word carries at most the channels of one pixel): 28 x 28 x 9 = 7,056 cycles/frame whatever
the device offers. Frame-rate targets below the ceiling are refused with this reason rather
than as "beyond the device" (``dse.search.min_resources``, ``flow.design_point`` for
``cycles=N``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamfold.design.point import DesignPoint
from streamfold.hw.block import NodeFolding
from streamfold.hw.mvau.params import MvauParams
from streamfold.hw.registry import block_of
from streamfold.hw.swg.params import SwgParams
from streamfold.ir.graph import Graph


@dataclass(frozen=True)
class Ceiling:
    """The node whose fastest legal folding is the slowest of all, its cycles and why."""

    node: str
    cycles: int
    why: str  # what in the network fixes the node's fastest folding

    def __str__(self) -> str:
        cycles = f"{self.cycles:,} cycle{'s' if self.cycles != 1 else ''}/frame"
        return f"{self.node}: {self.why}, at least {cycles} at any folding"


def fastest(graph: Graph, name: str) -> tuple[NodeFolding, int]:
    """Node ``name``'s fastest legal folding (fewest lanes among equals) and its cycles."""
    node = graph.node(name)
    block = block_of(node)
    params = block.params(graph, node)
    options = [(f, int(block.cycles(params, f))) for f in block.foldings(params)]
    return min(options, key=lambda o: (o[1], o[0].pe * o[0].simd, o[0].pe))


def ceiling(graph: Graph) -> Ceiling:
    """The structural ceiling of ``graph`` (a kernel graph); the first node on ties."""
    best: Ceiling | None = None
    for node in graph.nodes:
        folding, cycles = fastest(graph, node.name)
        if best is None or cycles > best.cycles:
            params = block_of(node).params(graph, node)
            best = Ceiling(node.name, cycles, _why(params, folding))
    assert best is not None, "a kernel graph has at least one node"
    return best


def _why(params: Any, folding: NodeFolding) -> str:
    if isinstance(params, SwgParams):
        c = params.channels
        return f"{c} input channel{'s' if c != 1 else ''}"
    if isinstance(params, MvauParams) and params.pixels > 1:
        return f"{params.pixels:,} output pixels, at most one per cycle"
    channels = getattr(params, "channels", None)
    if isinstance(channels, int):
        return f"{channels} channel{'s' if channels != 1 else ''}"
    return f"its fastest legal folding is pe={folding.pe}, simd={folding.simd}"


def missed_target(graph: Graph, point: DesignPoint, target: int) -> str | None:
    """Why ``point`` (chosen for ``cycles=target``) does not reach ``target`` cycles per
    frame, or None when every node does: the structural ceiling when it is above the target,
    else the slowest node of ``point`` (e.g. a memory style that limits its foldings)."""
    slowest = max(graph.nodes, key=lambda n: _cycles(graph, n.name, point.folding(n.name)))
    cycles = _cycles(graph, slowest.name, point.folding(slowest.name))
    if cycles <= target:
        return None
    limit = ceiling(graph)
    if limit.cycles > target:
        return f"cycles={target}: no folding reaches it: {limit}"
    return (
        f"cycles={target}: the folding chosen reaches {cycles:,} cycles/frame at best, set by "
        f"{slowest.name} (its fastest folding with this memory style)"
    )


def _cycles(graph: Graph, name: str, folding: NodeFolding) -> int:
    node = graph.node(name)
    block = block_of(node)
    return int(block.cycles(block.params(graph, node), folding))
