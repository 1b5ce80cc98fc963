"""FIFO depths on the edges out of a fork, derived from the cycle model (no RTL simulation).

Where a value has several consumers (a residual shortcut beside a convolution path, the
branches of a concat), a fork (``sf_fork``) sends every word down every branch at once; a
join (add, concat) takes word k of each input together. A branch whose words reach the join
earlier than the other inputs' must buffer them meanwhile, or the fork stalls the other
branches too: at worst the design deadlocks (the slow branch needs more input words before
its first output than the fast one can hold), at best it runs slower than predicted.

For each edge out of a fork into input ``p`` of a join:

- **depth**: words arrive on the edge evenly between their first and last arrival of a frame
  (the pipeline model of ``cost.estimate``, frames an interval apart) and the join takes word
  k when every input has its word k; the depth is the most words waiting on the edge at once
  (over two frames), plus two (the join's and the fork's own registers see the same words at
  different times: one word of slack on each side).
- **minimum**: the words the fork must send before the join sees the first word of every
  other input, counted back along the other inputs' paths to the same fork through each
  stage's ``needed`` input words; a depth below it deadlocks the design.

``size_fifos`` gives both per edge; ``check_fifos`` refuses a design whose given depth is
below its minimum, naming the edge and the path; ``with_sized_fifos`` fills a design point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from streamfold.cost.estimate import StageCost, follow, stage_costs
from streamfold.design import Design, DesignPoint, stitch
from streamfold.design.point import edge_name, edge_names
from streamfold.errors import FoldingError
from streamfold.ir.graph import Graph


@dataclass(frozen=True)
class FifoSize:
    """The FIFO on one edge out of a fork: depth and minimum in the producer's words."""

    edge: str  # the design point key ("producer->consumer")
    join: str  # the consumer node
    depth: int  # derived: runs at the predicted rate
    minimum: int  # below it the design deadlocks
    given: int  # what the design point has now (producer words; 0: none)
    wait_cycles: int  # how long the edge's first word waits at the join


@dataclass(frozen=True)
class _Edge:
    key: str
    fork_out: int  # index of the fork stage whose output starts the edge
    last: int  # index of the stage driving the consumer's port
    consumer: int  # index of the consumer (kernel) stage
    port: int


def _edges(design: Design) -> list[_Edge]:
    """Edges from a fork to a consumer port, traced through the glue after the fork."""
    stages = design.stages
    reader = {i: (k, port) for k, s in enumerate(stages) for port, i in enumerate(s.inputs)}
    out = []
    for k, s in enumerate(stages):
        if s.kind != "fork":
            continue
        for stream in s.outputs:
            j, port = reader.get(stream, (-1, 0))
            last = k
            while j >= 0 and stages[j].kind in ("fifo", "dwc"):
                last, (j, port) = j, reader.get(stages[j].outputs[0], (-1, 0))
            if j < 0 or stages[j].kind == "fork":
                continue  # the next fork of a chain, or the top output
            node = design.graph.node(stages[j].node)
            key = edge_name(s.node, node.name, port, len(node.inputs))
            out.append(_Edge(key, k, last, j, port))
    return out


def _arrivals(first: float, last: float, words: int, interval: int, frames: int = 2) -> np.ndarray:
    spacing = 0.0 if words == 1 else (last - first) / (words - 1)
    one = first + spacing * np.arange(words)
    return np.concatenate([one + f * interval for f in range(frames)])


def _need(
    costs: tuple[StageCost, ...], sources: list[tuple[int, ...]], k: int, fork: int, words: int
) -> int | None:
    """Words the fork must send for stage ``k`` to produce ``words`` output words (None: no
    path from the fork)."""
    if k == fork:
        return words
    c = costs[k]
    per = c.words_in / max(1, c.words_out)
    want = min(c.words_in, c.needed + math.ceil((words - 1) * per))
    needs = [_need(costs, sources, s, fork, want) for s in sources[k] if s >= 0]
    found = [n for n in needs if n is not None]
    return max(found) if found else None


def size_fifos(design: Design) -> tuple[FifoSize, ...]:
    """Depth and minimum of every edge out of a fork into a join (module docstring)."""
    costs = stage_costs(design)
    sources = [c.sources if c.sources is not None else (k - 1,) for k, c in enumerate(costs)]
    est = follow(costs, design.stream_in.words)
    interval = est.interval
    timing = [(s.first_out, s.last_out) for s in est.stages]
    out = []
    for e in _edges(design):
        consumer = costs[e.consumer]
        ports = [s for s in sources[e.consumer]]
        words = costs[e.last].words_out
        mine = _arrivals(*timing[e.last], words, interval)
        others = [
            _arrivals(*timing[q], costs[q].words_out, interval)
            for i, q in enumerate(ports)
            if i != e.port and q >= 0
        ]
        taken = np.maximum.reduce([mine[: len(o)] for o in others] + others) if others else mine
        waiting = max(int(np.searchsorted(mine, t, side="right")) - k for k, t in enumerate(taken))
        fork_words = costs[e.fork_out].words_out
        scale = fork_words / words  # edge words (after a converter) -> producer words
        minimum = 0
        for i, q in enumerate(ports):
            if i == e.port or q < 0:
                continue
            need = _need(costs, sources, q, e.fork_out, 1)
            if need is not None:
                minimum = max(minimum, need)
        depth = max(2, math.ceil(waiting * scale) + 2, minimum + 2)
        given = design.point.fifo(e.key, -1)
        wait = int(max(0.0, max((o[0] for o in others), default=mine[0]) - mine[0]))
        out.append(FifoSize(e.key, consumer.name, depth, max(2, minimum), given, wait))
    return tuple(out)


def check_fifos(design: Design) -> None:
    """Raise FoldingError for an edge whose given FIFO depth is below its minimum."""
    for f in size_fifos(design):
        if 0 <= f.given < f.minimum:
            raise FoldingError(
                f"{f.edge}: fifo depth must be >= {f.minimum} words (the other inputs of "
                f"{f.join} need that many words from the fork before their first word arrives; "
                f"{f.given} deadlocks), derived depth {f.depth}"
            )


def with_sized_fifos(graph: Graph, point: DesignPoint) -> DesignPoint:
    """``point`` with every fork edge's FIFO depth derived (edges it gives keep their depth)."""
    edges = edge_names(graph)
    if not edges:
        return point
    given = dict(point.fifos)
    probe = replace(point, fifos=tuple((e, given.get(e, 2)) for e in edges))
    sized = {f.edge: f.depth for f in size_fifos(stitch(graph, probe))}
    fifos = tuple((e, given.get(e, sized.get(e, 2))) for e in edges)
    return replace(point, fifos=fifos)
