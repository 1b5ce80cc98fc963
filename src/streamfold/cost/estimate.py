"""Pipeline-level cycle model.

- Each stage's cycles per frame; the initiation interval is the slowest stage's (a dataflow
  pipeline runs at the rate of its bottleneck).
- Latency (first input word to first output word of the top) follows frame 0 through the
  chain: each stage's first output comes ``delay`` cycles (by default ``latency - (needed -
  1)``) after the input word it needs last: the first input vector for a matrix-vector unit,
  the first complete window for a sliding window or pooling, the first word for elementwise
  stages, enough words to fill one word for an up-converting width converter. Input words of
  a frame are taken to arrive evenly between the upstream's first and last output words; a
  stage's last output word comes when its input allows, or for a ``paced`` block (one that
  computes each output word) no sooner than ``cycles / words out`` apart. At full input rate
  this reduces to each block's own ``latency``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.design import Design, Stage
from streamfold.hw.block import RtlInstance
from streamfold.hw.dwc import cost as dwc_cost
from streamfold.hw.fifo import cost as fifo_cost
from streamfold.hw.fork import cost as fork_cost
from streamfold.hw.registry import block_of


@dataclass(frozen=True)
class StageEstimate:
    name: str
    kind: str
    cycles: int  # per frame
    latency: int  # first input word to first output word, at full input rate
    needed: int  # input words needed before the first output word
    first_out: float  # frame 0's first output word, cycles after the top's first input word
    last_out: float  # frame 0's last output word


@dataclass(frozen=True)
class PipelineEstimate:
    stages: tuple[StageEstimate, ...]

    @property
    def interval(self) -> int:
        """Initiation interval: cycles per frame in steady state."""
        return max(s.cycles for s in self.stages)

    @property
    def latency(self) -> int:
        """Cycles from the top's first input word to its first output word."""
        return round(self.stages[-1].first_out)

    @property
    def bottleneck(self) -> StageEstimate:
        return max(self.stages, key=lambda s: s.cycles)

    def frames_per_second(self, clock_mhz: float) -> float:
        return clock_mhz * 1e6 / self.interval

    def to_json(self) -> dict[str, Any]:
        return {
            "cycles_per_frame": self.interval,
            "latency_cycles": self.latency,
            "bottleneck": self.bottleneck.name,
            "stages": [
                {"name": s.name, "kind": s.kind, "cycles": s.cycles, "latency": s.latency}
                for s in self.stages
            ],
        }


@dataclass(frozen=True)
class StageCost:
    """What the pipeline model needs of one stage."""

    name: str
    kind: str
    cycles: int  # per frame
    latency: int  # first input word to first output word, at full input rate
    needed: int  # input words needed for the first output word
    delay: int  # cycles from the last needed input word to the first output word
    words_in: int
    words_out: int
    paced: bool = False  # output words cycles / words_out apart, else as inputs allow
    # Indices (into the sequence given to ``follow``) of the stages feeding this one, one per
    # input port; None: the previous stage (a chain), () the top input.
    sources: tuple[int, ...] | None = None
    # Per input port, the input word each output word of a frame needs last (-1: none, a
    # padding word); None: the linear default (the first output word needs ``needed`` words,
    # the last all of them, evenly between). ``Block.needs`` gives them where the order of a
    # block's words is not linear (padding, sliding windows).
    needs: tuple[npt.NDArray[np.int64], ...] | None = field(default=None, compare=False)


def kernel_stage(
    name: str,
    block: Any,
    params: Any,
    folding: Any,
    words: tuple[int, int],
    sources: tuple[int, ...] | None = None,
) -> StageCost:
    """A kernel's StageCost (``words``: per frame in and out)."""
    cycles, latency, needed, delay = kernel_cost(block, params, folding)
    needs = None if block.needs is None else (block.needs(params, folding),)
    return StageCost(
        name, "kernel", cycles, latency, needed, delay, *words, block.paced, sources, needs
    )


def kernel_cost(block: Any, params: Any, folding: Any) -> tuple[int, int, int, int]:
    """(cycles, latency, needed, delay) of a kernel: ``Block.needed`` (default 1) and
    ``Block.delay`` (default what full-rate ``latency`` leaves after the needed words)."""
    cycles, latency = block.cycles(params, folding), block.latency(params, folding)
    needed = 1 if block.needed is None else block.needed(params, folding)
    delay = latency - (needed - 1) if block.delay is None else block.delay(params, folding)
    return cycles, latency, needed, delay


def glue_cost(name: str, kind: str, rtl: RtlInstance) -> StageCost:
    """A FIFO's, fork's or width converter's StageCost."""
    fmt_in, fmt_out = rtl.stream_in, rtl.stream_out
    if kind == "fifo":
        cycles, latency, needed = fifo_cost.cycles(rtl), fifo_cost.latency(rtl), 1
    elif kind == "fork":
        cycles, latency, needed = fork_cost.cycles(rtl), fork_cost.latency(rtl), 1
    else:
        cycles, latency = dwc_cost.cycles(rtl), dwc_cost.latency(rtl)
        needed = -(-fmt_out.elems // fmt_in.elems)
    delay = latency - (needed - 1)
    return StageCost(name, kind, cycles, latency, needed, delay, fmt_in.words, fmt_out.words)


def follow(costs: Iterable[StageCost], words_in: int) -> PipelineEstimate:
    """Frame 0 through the stages in topological order (module docstring), word by word: the
    source offers one word per cycle; output word j of a stage comes ``delay`` after the
    input words it needs (``StageCost.needs``; of every input of a join) and, for a ``paced``
    stage, ``cycles / words_out`` after word j - 1 (else one cycle); the first no sooner than
    ``latency`` after the first input word (after reset, for a stage whose first words need
    no input: padding)."""
    costs = tuple(costs)
    times = word_times(costs, words_in)
    return PipelineEstimate(
        tuple(
            StageEstimate(c.name, c.kind, c.cycles, c.latency, c.needed, float(t[0]), float(t[-1]))
            for c, t in zip(costs, times, strict=True)
        )
    )


def word_times(
    costs: tuple[StageCost, ...], words_in: int, frames: int = 1
) -> list[npt.NDArray[np.float64]]:
    """Per stage, the cycle of each output word of ``frames`` frames (``follow``'s rules,
    frames back to back: the source offers frame f's words one per cycle from ``f`` times the
    interval; a stage's words of frame f follow its words of frame f - 1). Every stream is
    taken to have room for every word (no backpressure): what piles up on an edge is the
    FIFO depth it needs to keep these times (``cost.fifo_sizing``)."""
    interval = max(c.cycles for c in costs)
    top = (np.arange(frames)[:, None] * interval + np.arange(words_in)[None, :]).ravel()
    top = top.astype(np.float64)
    times: list[npt.NDArray[np.float64]] = []
    for k, c in enumerate(costs):
        sources = (k - 1,) if c.sources is None else c.sources
        ins = [top if i < 0 else times[i] for i in sources] or [top]
        per = [len(t) // frames for t in ins]
        needs = c.needs if c.needs is not None else tuple(linear_needs(c, n) for n in per)
        n_out = c.words_out * frames
        ready = np.full(n_out, -np.inf)
        for t, need, n in zip(ins, needs, per, strict=True):
            tiled = np.concatenate([np.where(need >= 0, need + f * n, -1) for f in range(frames)])
            have = tiled >= 0
            ready[have] = np.maximum(ready[have], t[tiled[have]])
        start = max(t[0] for t in ins) if ready[0] > -np.inf else 0.0
        spacing = c.cycles / c.words_out if c.paced else 1.0
        step = spacing * np.arange(n_out)
        earliest = ready + c.delay
        earliest[0] = max(earliest[0], start + c.latency)
        times.append(np.maximum.accumulate(earliest - step) + step)
    return times


def settling_frames(
    costs: tuple[StageCost, ...], words_in: int, most: int = 64
) -> tuple[int, list[npt.NDArray[np.float64]]]:
    """Frames followed back to back (``word_times``) until every stage keeps the interval over
    the last two (doubling from 8, at most ``most``), and the word times of that run. A
    pipeline whose stages wait on each other's bursts starts slower and settles as FIFOs
    fill; ``first_steady`` says from which frame on its output keeps the interval."""
    interval = max(c.cycles for c in costs)
    frames = 8
    while True:
        times = word_times(costs, words_in, frames)
        late = any(
            t[-1] - t[-1 - c.words_out] > interval + 1e-6 for c, t in zip(costs, times, strict=True)
        )
        if not late or frames >= most:
            return frames, times
        frames *= 2


def first_steady(costs: tuple[StageCost, ...], words_in: int) -> int:
    """The first frame whose last output word comes at most an interval (plus one cycle)
    after the previous frame's, and every later one too (``settling_frames``)."""
    _, times = settling_frames(costs, words_in)
    interval = max(c.cycles for c in costs)
    ends = times[-1][costs[-1].words_out - 1 :: costs[-1].words_out]
    late = np.flatnonzero(np.diff(ends) > interval + 1.0)
    return int(late[-1]) + 2 if len(late) else 1


def linear_needs(c: StageCost, words_in: int) -> npt.NDArray[np.int64]:
    """The default needs: the first output word needs ``needed`` input words, the last all of
    them, the others evenly between."""
    first = min(c.needed, words_in) - 1
    if c.words_out == 1:
        return np.array([words_in - 1], dtype=np.int64)
    j = np.arange(c.words_out)
    return first + (j * (words_in - 1 - first)) // (c.words_out - 1)


def _cost(design: Design, stage: Stage, sources: tuple[int, ...]) -> StageCost:
    if stage.kind != "kernel":
        return replace(glue_cost(stage.name, stage.kind, stage.rtl), sources=sources)
    node = design.graph.node(stage.node)
    block = block_of(node)
    params = block.params(design.graph, node)
    words = (stage.rtl.stream_in.words, stage.rtl.stream_out.words)
    return kernel_stage(stage.name, block, params, design.point.folding(node.name), words, sources)


def stage_sources(design: Design) -> tuple[tuple[int, ...], ...]:
    """Per stage, the indices of the stages driving its inputs (-1: the top input)."""
    driver = {o: k for k, s in enumerate(design.stages) for o in s.outputs}
    return tuple(tuple(driver.get(i, -1) for i in s.inputs) for s in design.stages)


def stage_costs(design: Design) -> tuple[StageCost, ...]:
    """What the cycle model needs of every stage, with the stages feeding it."""
    sources = stage_sources(design)
    return tuple(_cost(design, s, src) for s, src in zip(design.stages, sources, strict=True))


def estimate_pipeline(design: Design) -> PipelineEstimate:
    return follow(stage_costs(design), design.stream_in.words)
