"""A peak detector as hardware: build its dataflow RTL, run profiles through Verilator and
compare with PyTorch bit for bit; cycles per sample predicted and measured, resources estimated.

With a score ``threshold`` the build ends in the peak-picking block (``hw.peakpick``): the
accelerator emits per profile ``MAX_PEAKS`` records (position, score, num, den), the peaks
``detector.pick`` finds on PyTorch's scores, refined to ``position + num / den``.

At one sample per word the fastest folding is ``cycles=K*length`` (``fastest_folding``): a
sliding window emits at most one input-channel group per cycle, so a window of kernel K over a
1-channel input takes K cycles per sample. ``samples=N`` (docs/mmv.md) builds N samples per
cycle: the same-padded convolutions' Pads folded into their windows, the MVAUs fully parallel
over N samples with their weights as constants (``mem_style``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from streamfold.codegen.top import write_build
from streamfold.cost.design_cost import estimate_build
from streamfold.cost.estimate import estimate_pipeline, first_steady, stage_costs
from streamfold.design import Design, stitch
from streamfold.dse.design_point import folding_preset, preset_graph
from streamfold.errors import SimulationError
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.hw.block import MemStyle
from streamfold.hw.peakpick.model import records
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.graph import Graph, Node, Scale, Value
from streamfold.ir.intervals import peak_record_range
from streamfold.ir.ops import PeakPick
from streamfold.peaks.detector import KERNELS, MIN_DISTANCE, inputs, scores
from streamfold.peaks.metrics import F64
from streamfold.peaks.picking import local_maxima
from streamfold.sim.design import simulate_build
from streamfold.sim.exact import dequantize

DEVICE = "xc7z020"
MAX_PEAKS = 4  # records per profile: a line and a reflection, with room for two more


def fastest_folding(length: int) -> str:
    """The fastest folding at one sample per word (see the module's doc)."""
    return f"cycles={KERNELS[0] * length}"


def mem_style(folding: str) -> MemStyle:
    """Registers at several samples per cycle (``samples=N``): every MVAU is then fully
    parallel, its weights one word, as constants folded into the logic; else distributed."""
    return MemStyle.REGISTERS if folding.startswith("samples=") else MemStyle.DISTRIBUTED


@dataclass(frozen=True)
class HardwareRun:
    """One Verilator run of a detector's generated RTL on ``frames`` profiles."""

    frames: int
    length: int
    bit_exact: bool
    predicted_cycles_per_frame: int
    measured_cycles_per_frame: float
    lut: int
    ff: int
    device: str
    build_dir: Path
    # with picking: the records' integer positions are detector.pick's on PyTorch's float
    # scores (its first MAX_PEAKS), and position + num / den its parabola on the codes
    picks_match_software: bool | None = None

    @property
    def predicted_cycles_per_sample(self) -> float:
        return self.predicted_cycles_per_frame / self.length

    @property
    def measured_cycles_per_sample(self) -> float:
        return self.measured_cycles_per_frame / self.length


@torch.no_grad()
def expected_codes(model: nn.Sequential, x: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """PyTorch's eval-mode integer score codes ``[n, length]``."""
    model.eval()
    out = model(inputs(x))
    return np.asarray(out.exact.codes.reshape(len(x), -1).numpy(), dtype=np.int64)


def threshold_code(scale: Scale | None, dtype: IntType, threshold: float) -> int:
    """The least score code whose float score (as ``detector.scores`` computes it) is at or
    above ``threshold``; ``max + 1`` when none is."""
    codes = np.arange(dtype.min, dtype.max + 1)
    s = dequantize(codes[None, :], scale)[0].astype(np.float32).astype(np.float64)
    if (np.diff(s) <= 0).any():
        raise SimulationError("peak picking: the score scale must be positive")
    above = np.flatnonzero(s >= threshold)
    return int(codes[above[0]]) if len(above) else dtype.max + 1


def detector_graph(model: nn.Sequential, length: int, threshold: float | None = None) -> Graph:
    """The detector's kernel graph; with ``threshold``, ending in a PeakPick node."""
    graph = to_kernels(export(model, (1, length)))
    if threshold is None:
        return graph
    score = graph.value(graph.outputs[0])
    code = threshold_code(graph.scale(score.name), score.dtype, threshold)
    out = Value("peaks", narrowest(*peak_record_range(length, score.dtype)), (4, MAX_PEAKS))
    node = Node("pick", PeakPick(code, MIN_DISTANCE, MAX_PEAKS), (score.name,), out)
    return replace(graph, nodes=(*graph.nodes, node), outputs=("peaks",), scales=())


def by_record(found: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The detector's output ``(frames, 4 * MAX_PEAKS)``, channels-first as the IR value
    ``[4, MAX_PEAKS]`` (``simulate_build`` returns it so), as ``(frames, MAX_PEAKS, 4)``."""
    return np.asarray(found).reshape(len(found), 4, -1).transpose(0, 2, 1)


def positions(found: npt.NDArray[np.int64]) -> list[F64]:
    """Per frame, the sub-sample positions ``position + num / den`` of the used records
    (``found`` as ``simulate_build`` returns it)."""
    out = []
    for row in by_record(found):
        used = row[row[:, 3] > 0]
        out.append(used[:, 0] + used[:, 2] / used[:, 3])
    return out


def picks_match_software(
    model: nn.Sequential, x: npt.NDArray[np.uint8], found: npt.NDArray[np.int64], threshold: float
) -> bool:
    """The hardware's records against the software picker: integer positions equal to
    ``local_maxima`` on PyTorch's float scores (the first MAX_PEAKS), refined positions equal
    to the parabola through PyTorch's integer score codes (bit for bit)."""
    s, codes = scores(model, x), expected_codes(model, x).astype(np.float64)
    for row_s, row_c, rec in zip(s, codes, by_record(found), strict=True):
        idx = local_maxima(row_s, threshold, MIN_DISTANCE)[:MAX_PEAKS]
        used = rec[rec[:, 3] > 0]
        if not np.array_equal(used[:, 0], idx):
            return False
        vertex = idx + 0.5 * (row_c[idx - 1] - row_c[idx + 1]) / (
            row_c[idx - 1] - 2 * row_c[idx] + row_c[idx + 1]
        )
        if not np.array_equal(used[:, 0] + used[:, 2] / used[:, 3], vertex):
            return False
    return True


def build_detector(
    model: nn.Sequential,
    length: int,
    out_dir: Path,
    folding: str,
    threshold: float | None = None,
) -> Path:
    return write_build(detector_design(detector_graph(model, length, threshold), folding), out_dir)


def detector_design(graph: Graph, folding: str) -> Design:
    """A detector's kernel graph as the preset ``folding`` builds it: on ``preset_graph``'s
    graph (at ``samples=N`` the Pads folded into their windows), in ``mem_style(folding)``."""
    kernels = preset_graph(graph, folding)
    return stitch(kernels, folding_preset(kernels, folding, mem_style(folding)))


def run_in_verilator(
    model: nn.Sequential,
    x: npt.NDArray[np.uint8],
    out_dir: Path,
    folding: str | None = None,
    stall: float = 0.25,
    threshold: float | None = None,
) -> HardwareRun:
    """Build ``model`` for ``x``'s length (with ``threshold``: and peak picking) and run ``x``
    through the RTL twice: with ``stall`` random stalls on both streams (values only), and
    free-running, repeated until the pipeline has settled (values and the steady state's
    cycles per frame)."""
    length = x.shape[1]
    folding = folding or fastest_folding(length)
    design = detector_design(detector_graph(model, length, threshold), folding)
    build = write_build(design, out_dir)
    codes = input_codes(model, inputs(x).numpy())
    first = first_steady(stage_costs(design), design.stream_in.words)
    reps = -(-(first + 3) // len(x))
    expected = expected_codes(model, x)
    if threshold is not None:
        node = design.graph.nodes[-1]
        assert isinstance(node.op, PeakPick)
        found = records(expected, node.op.threshold, MIN_DISTANCE, MAX_PEAKS)
        expected = found.reshape(len(x), MAX_PEAKS, 4).transpose(0, 2, 1).reshape(len(x), -1)
    stalled, _ = simulate_build(build, codes, stall_in=stall, stall_out=stall, seed=1)
    out, run = simulate_build(build, np.concatenate([codes] * reps))
    est = estimate_build(build, DEVICE, 100.0)
    return HardwareRun(
        frames=len(x) * (reps + 1),
        length=length,
        bit_exact=bool(np.array_equal(stalled, expected))
        and bool(np.array_equal(out, np.concatenate([expected] * reps))),
        predicted_cycles_per_frame=estimate_pipeline(design).interval,
        measured_cycles_per_frame=run.cycles_per_frame_from(first),
        lut=est.total.lut,
        ff=est.total.ff,
        device=DEVICE,
        build_dir=build,
        picks_match_software=None
        if threshold is None
        else picks_match_software(model, x, stalled, threshold),
    )
