"""Pipeline-level cycle model.

- Each stage's cycles per frame; the initiation interval is the slowest stage's (a dataflow
  pipeline runs at the rate of its bottleneck).
- Latency (first input word to first output word of the top) follows frame 0 through the
  chain: each stage's first output comes ``latency - (needed - 1)`` cycles after the input word
  it needs last (the whole frame for a matrix-vector unit, the first word for elementwise and
  streaming stages, enough words to fill one word for an up-converting width converter), where
  input words of a frame are taken to arrive evenly between the upstream's first and last
  output words. At full input rate this reduces to each block's own ``latency``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from streamfold.hw.dwc import cost as dwc_cost
from streamfold.hw.fifo import cost as fifo_cost
from streamfold.hw.registry import block_of

if TYPE_CHECKING:
    from streamfold.codegen.top import Design, Stage


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


def _costs(design: Design, stage: Stage) -> tuple[int, int, int]:
    """(cycles per frame, full-rate latency, input words needed for the first output)."""
    if stage.kind == "kernel":
        node = design.graph.node(stage.node)
        block = block_of(node)
        params = block.params(design.graph, node)
        folding = design.point.folding(node.name)
        needed = 1 if block.needed is None else block.needed(params, folding)
        return block.cycles(params, folding), block.latency(params, folding), needed
    if stage.kind == "fifo":
        return fifo_cost.cycles(stage.rtl), fifo_cost.latency(stage.rtl), 1
    fmt_in, fmt_out = stage.rtl.stream_in, stage.rtl.stream_out
    needed = -(-fmt_out.elems // fmt_in.elems)
    return dwc_cost.cycles(stage.rtl), dwc_cost.latency(stage.rtl), needed


def estimate_pipeline(design: Design) -> PipelineEstimate:
    first, last = 0.0, float(design.stream_in.words - 1)  # the source offers one word per cycle
    stages = []
    for stage in design.stages:
        cycles, latency, needed = _costs(design, stage)
        n_in, n_out = stage.rtl.stream_in.words, stage.rtl.stream_out.words

        def arrival(i: int, first: float = first, last: float = last, n_in: int = n_in) -> float:
            return first if n_in == 1 else first + i * (last - first) / (n_in - 1)

        delay = latency - (needed - 1)
        out_first = max(arrival(needed - 1) + delay, first + latency)
        out_last = max(out_first + (n_out - 1) * cycles / n_out, arrival(n_in - 1) + delay)
        stages.append(
            StageEstimate(stage.name, stage.kind, cycles, latency, needed, out_first, out_last)
        )
        first, last = out_first, out_last
    return PipelineEstimate(tuple(stages))
