"""FIFO depths in front of joins, derived from the cycle model (no RTL simulation).

Where a value has several consumers (a residual shortcut beside a convolution path, the
branches of a concat), a fork (``sf_fork``) sends every word down every branch at once, and a
join (add, concat) takes word k of each of its inputs together. An input whose words reach
the join before the others' must hold them meanwhile, or its branch stalls back to the fork,
and the fork stalls the other branches too: at worst the design deadlocks (the slow branch
needs more input words before its first output than the fast one can hold), at best it runs
slower than predicted. The FIFO that holds them is the one right in front of the join's input:
the output FIFO of the branch's last node (its ``fifo_depth``), or, for an input read straight
from a fork (a shortcut), the FIFO of that fork edge (``DesignPoint.fifos``).

For each input ``p`` of a join:

- **depth**: in steady state every stream moves at the pipeline's pace (its words per frame
  per interval) from its first word's time in the pipeline model of ``cost.estimate``; the
  join takes word k when every input has its word k; the depth is the most words waiting on
  ``p`` at once over two frames, or the minimum below when that is more, plus two (one word
  of slack on each side of the FIFO). A faster branch's frame-0 burst is not buffered whole:
  backpressure paces it, which costs no throughput while the branch holds the minimum.
- **minimum**: the words that the other inputs' branches need from their common fork before
  their first word reaches the join (counted back through each stage's ``needed`` input words
  and its words in per word out), in ``p``'s words; a depth below it deadlocks the design.

``size_fifos`` gives both for every join input; ``check_fifos`` refuses a design whose FIFO
is below its minimum, naming the path; ``with_sized_fifos`` fills a design point.

**Pacing** (``pace_fifos``, every FIFO, joins or not): a stage whose input comes in bursts
while its own words must come evenly (padding rows around a convolution's output, a window
generator waiting for rows) falls behind its producer, and with a shallow FIFO between them
the producer stalls: when both run at the interval, the lost cycles are lost for good
(measured: a ResNet block's padding stage at 720 cycles/frame against a 576 interval with a
32-word FIFO). ``cost.estimate.word_times`` follows frames back to back with room for every
word, until every stage keeps the interval; the words that pile up on each FIFO meanwhile (in
before its consumer takes them: a consumer takes word i once its outputs need word
``i - needed``, the words it holds before its first output) are the depth that keeps them,
counted in the producer's words like a ``fifo_depth`` (behind a 1 -> 2 converter, twice the
FIFO's words: counted as the FIFO's, a three-convolution pipeline ran 3 % slow).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from streamfold.cost.estimate import (
    StageCost,
    follow,
    linear_needs,
    settling_frames,
    stage_costs,
)
from streamfold.design import Design, DesignPoint, Stage, stitch
from streamfold.design.point import edge_name, edge_names
from streamfold.errors import FoldingError
from streamfold.ir.graph import Graph


@dataclass(frozen=True)
class FifoSize:
    """The FIFO in front of one join input; depths in the words of the FIFO's producer."""

    key: str  # a DesignPoint key: a fork edge ("producer->consumer:port") or a node name
    edge: bool  # True: ``key`` is a fork edge (DesignPoint.fifos); False: a node's fifo_depth
    path: str  # the branch, "fork -> ... -> join:port", for messages
    depth: int  # derived: runs at the predicted rate
    minimum: int  # below it the design deadlocks
    given: int  # what the design has now (0: no FIFO)


def _driver(stages: tuple[Stage, ...], driver: dict[str, int], stream: str) -> tuple[int, int]:
    """(index of the stage driving ``stream`` after any glue, index of the FIFO on the way or
    -1); -1 for the top input."""
    k, fifo = driver.get(stream, -1), -1
    while k >= 0 and stages[k].kind in ("fifo", "dwc"):
        if stages[k].kind == "fifo" and fifo < 0:
            fifo = k
        k = driver.get(stages[k].inputs[0], -1)
    return k, fifo


def _path(design: Design, sources: list[tuple[int, ...]], k: int, stop: int) -> list[str]:
    """Kernel names from ``k`` back to ``stop`` along first inputs (for messages)."""
    names = []
    while k >= 0 and k != stop:
        s = design.stages[k]
        if s.kind == "kernel":
            names.append(s.name)
        k = sources[k][0] if sources[k] else -1
    return names[::-1]


def _ancestors(sources: list[tuple[int, ...]], k: int) -> set[int]:
    seen: set[int] = set()
    todo = [k]
    while todo:
        j = todo.pop()
        for i in sources[j]:
            if i >= 0 and i not in seen:
                seen.add(i)
                todo.append(i)
    return seen


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


def _minimum(
    costs: tuple[StageCost, ...],
    sources: list[tuple[int, ...]],
    near: list[int],
    p: int,
    fork: int,
    words: int,
) -> int:
    """Words input ``p``'s branch has delivered to the join (and the join cannot take yet)
    once the fork has sent what the other inputs need for their first word: the most output
    words k of the branch whose need is within that."""
    needs = [_need(costs, sources, q, fork, 1) for i, q in enumerate(near) if i != p]
    sent = max((n for n in needs if n is not None), default=0)
    lo, hi = 0, words  # the most k with need(k) <= sent, by bisection (need grows with k)
    while lo < hi:
        k = (lo + hi + 1) // 2
        need = _need(costs, sources, near[p], fork, k)
        if need is not None and need <= sent:
            lo = k
        else:
            hi = k - 1
    return lo


def _arrivals(first: float, words: int, interval: int, frames: int = 2) -> np.ndarray:
    """Word arrival times in steady state: from the frame's first word, at the pipeline's pace
    (``words`` per ``interval``), frames an interval apart."""
    return first + (interval / words) * np.arange(frames * words)


def size_fifos(design: Design) -> tuple[FifoSize, ...]:
    """Depth and minimum of the FIFO in front of every join input (module docstring)."""
    stages = design.stages
    costs = stage_costs(design)
    sources = [c.sources if c.sources is not None else (k - 1,) for k, c in enumerate(costs)]
    est = follow(costs, design.stream_in.words)
    timing = [(s.first_out, s.last_out) for s in est.stages]
    driver = {o: k for k, s in enumerate(stages) for o in s.outputs}
    out = []
    for j, join in enumerate(stages):
        if join.kind != "kernel" or len(join.inputs) < 2:
            continue
        near = [sources[j][p] for p in range(len(join.inputs))]
        words = [costs[q].words_out for q in near]
        arrivals = [
            _arrivals(timing[q][0], w, est.interval) for q, w in zip(near, words, strict=True)
        ]
        taken = np.maximum.reduce([a[: min(len(b) for b in arrivals)] for a in arrivals])
        common = set.intersection(*(_ancestors(sources, q) | {q} for q in near))
        for p, stream in enumerate(join.inputs):
            mine = arrivals[p]
            waiting = max(
                int(np.searchsorted(mine, t, side="right")) - k for k, t in enumerate(taken)
            )
            producer, fifo = _driver(stages, driver, stream)
            fork = max((c for c in common if stages[c].kind == "fork"), default=-1)
            minimum = _minimum(costs, sources, near, p, fork, words[p]) if fork >= 0 else 0
            p_stage = stages[producer] if producer >= 0 else None
            scale = (costs[producer].words_out if producer >= 0 else words[p]) / words[p]
            node = design.graph.node(join.node)
            port = f":{p}" if len(node.inputs) > 1 else ""
            if p_stage is None or p_stage.kind == "fork":
                owner = p_stage.node if p_stage is not None else design.graph.inputs[0].name
                key, is_edge = edge_name(owner, node.name, p, len(node.inputs)), True
            else:
                key, is_edge = p_stage.node, False
            given = 0 if fifo < 0 else int(dict(stages[fifo].rtl.parameters)["DEPTH"])
            start = stages[fork].node if fork >= 0 else "input"
            path = " -> ".join([start, *_path(design, sources, near[p], fork), node.name + port])
            out.append(
                FifoSize(
                    key,
                    is_edge,
                    path,
                    max(2, math.ceil((max(waiting, minimum) + 2) * scale)),
                    max(2, math.ceil(minimum * scale)),
                    math.ceil(given * scale),
                )
            )
    return tuple(out)


@dataclass(frozen=True)
class FifoPace:
    """The words that pile up on one FIFO when every stage keeps the pipeline's pace."""

    key: str  # a DesignPoint key: a fork edge or a node name (its fifo_depth)
    edge: bool
    stage: str  # the FIFO stage's name
    # both in the key's words (its producer's, as ``fifo_depth`` and ``hw.glue`` count them):
    # the most waiting at once in the FIFO's own words, plus two, scaled through any width
    # converter in front of it (a 1 -> 2 converter: twice as many producer words)
    depth: int
    given: int


def pace_fifos(design: Design) -> tuple[FifoPace, ...]:
    """Per FIFO stage, the depth that keeps every stage at the interval (module docstring)."""
    stages = design.stages
    costs = stage_costs(design)
    sources = [c.sources if c.sources is not None else (k - 1,) for k, c in enumerate(costs)]
    consumers: dict[int, list[tuple[int, int]]] = {}
    for k, src in enumerate(sources):
        for port, i in enumerate(src):
            consumers.setdefault(i, []).append((k, port))
    frames, times = settling_frames(costs, design.stream_in.words)
    driver = {o: k for k, s in enumerate(stages) for o in s.outputs}
    out = []
    for k, stage in enumerate(stages):
        if stage.kind != "fifo" or len(consumers.get(k, ())) != 1:
            continue
        ((j, port),) = consumers[k]
        waiting = _waiting(costs, times, sources[k][0], k, j, port, frames, design)
        if waiting is None:
            continue
        key, is_edge = _fifo_key(design, driver, k, j, port)
        given = int(dict(stage.rtl.parameters)["DEPTH"])
        ratio = _words_per_fifo_word(design, driver, k)
        depth = math.ceil((waiting + 2) * ratio)
        out.append(FifoPace(key, is_edge, stage.name, depth, math.floor(given * ratio)))
    return tuple(out)


def _words_per_fifo_word(design: Design, driver: dict[str, int], k: int) -> Fraction:
    """Producer words per word of FIFO stage ``k``: the elements of its own word over those of
    its producer's (a fork's, or the top input's), where a converter lies between them."""
    stages = design.stages
    producer, _ = _driver(stages, driver, stages[k].inputs[0])
    made = design.stream_in if producer < 0 else stages[producer].rtl.stream_out
    return Fraction(stages[k].rtl.stream_out.elems, made.elems)


def _waiting(
    costs: tuple[StageCost, ...],
    times: list[np.ndarray],
    src: int,
    k: int,
    j: int,
    port: int,
    frames: int,
    design: Design,
) -> int | None:
    """The most words in FIFO ``k`` at once: in when its source emits them, out when stage
    ``j`` (on ``port``) takes them. None when ``j`` is a width converter (its consumer's pace
    counts, through it) or the top output."""
    c = costs[j]
    if c.kind == "dwc":
        return None
    arrive = times[src] if src >= 0 else times[k] - 1.0
    per = len(arrive) // frames
    need = c.needs[port] if c.needs is not None else linear_needs(c, per)
    tiled = np.concatenate([np.where(need >= 0, need + f * per, -1) for f in range(frames)])
    reach = np.maximum.accumulate(tiled)  # the last input word needed by output j or before
    when = times[j] - c.delay  # when the stage needed it
    # word i is taken once an output needing word i - needed is made (it holds ``needed``)
    behind = np.arange(len(arrive)) - min(c.needed, per)
    first = np.searchsorted(reach, behind, side="left")
    take = np.where(first < len(when), when[np.minimum(first, len(when) - 1)], np.inf)
    take = np.where(behind < 0, arrive, np.maximum(take, arrive))
    moments = np.sort(arrive)
    inside = np.searchsorted(moments, moments, side="right") - np.searchsorted(
        np.sort(take), moments, side="right"
    )
    return int(max(0, inside.max()))


def _fifo_key(
    design: Design, driver: dict[str, int], k: int, j: int, port: int
) -> tuple[str, bool]:
    """The DesignPoint key of FIFO stage ``k`` read by stage ``j`` on ``port``: the fork edge
    it sits on, or its producer's node (``fifo_depth``)."""
    stages = design.stages
    producer, _ = _driver(stages, driver, stages[k].inputs[0])
    if producer >= 0 and stages[producer].kind != "fork":
        return stages[producer].node, False
    owner = stages[producer].node if producer >= 0 else design.graph.inputs[0].name
    node = design.graph.node(stages[j].node)
    return edge_name(owner, node.name, port, len(node.inputs)), True


def check_fifos(design: Design) -> None:
    """Raise FoldingError for a join input whose FIFO is below its minimum."""
    for f in size_fifos(design):
        if f.given < f.minimum:
            raise FoldingError(
                f"{f.key}: fifo depth must be >= {f.minimum} words on the path {f.path} (the "
                f"join's other inputs need that many words from the fork before their first "
                f"word arrives), not {f.given}; derived depth {f.depth}"
            )


def with_sized_fifos(graph: Graph, point: DesignPoint) -> DesignPoint:
    """``point`` with the FIFO in front of every join input derived: a fork edge's depth (kept
    when ``point`` gives one) or the branch's last node's ``fifo_depth`` (raised, never
    lowered); then every FIFO as deep as its pace needs (``with_paced_fifos``), in a chain
    too."""
    edges = edge_names(graph)
    given = dict(point.fifos)
    probe = replace(point, fifos=tuple((e, given.get(e, 2)) for e in edges))
    sizes = size_fifos(stitch(graph, probe))
    if not sizes:
        return with_paced_fifos(graph, point, keep=set(given))
    derived = {f.key: f.depth for f in sizes if f.edge}
    nodes = {f.key: f.depth for f in sizes if not f.edge}
    named = {n for n, _ in point.nodes}

    def default(edge: str) -> int:
        producer = edge.split("->")[0]
        return point.folding(producer).fifo_depth if producer in named else 2

    fifos = tuple((e, given.get(e, derived.get(e, default(e)))) for e in edges)
    return with_paced_fifos(graph, _raised(point, nodes, fifos), keep=set(given))


def with_paced_fifos(
    graph: Graph, point: DesignPoint, keep: set[str] | frozenset[str] = frozenset()
) -> DesignPoint:
    """``point`` with every FIFO at least as deep as its pace needs (``pace_fifos``): node
    ``fifo_depth`` and fork edge depths raised, never lowered; the edges in ``keep`` (a
    user's) as given."""
    paced = pace_fifos(stitch(graph, point))
    nodes = {f.key: f.depth for f in paced if not f.edge}
    edges = {f.key: f.depth for f in paced if f.edge and f.key not in keep}
    fifos = tuple((e, max(d, edges.get(e, 0))) for e, d in point.fifos)
    return _raised(point, nodes, fifos)


def _raised(
    point: DesignPoint, nodes: dict[str, int], fifos: tuple[tuple[str, int], ...]
) -> DesignPoint:
    """``point`` with edge FIFOs ``fifos`` and each node's ``fifo_depth`` raised to ``nodes``'s
    depth for it (never lowered)."""
    folded = tuple(
        (name, replace(f, fifo_depth=max(f.fifo_depth, nodes[name])) if name in nodes else f)
        for name, f in point.nodes
    )
    return replace(point, nodes=folded, fifos=fifos)
