"""A peak detector as hardware: build its dataflow RTL, run profiles through Verilator and
compare with PyTorch bit for bit; cycles per sample predicted and measured, resources estimated.

The fastest folding today is ``cycles=K*length`` (``fastest_folding``): a sliding window emits
at most one input-channel group per cycle, so a window of kernel K over a 1-channel input
takes K cycles per sample, and no block takes more than one sample per cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from streamfold.codegen.top import write_build
from streamfold.cost.design_cost import estimate_build
from streamfold.cost.estimate import estimate_pipeline, first_steady, stage_costs
from streamfold.design import stitch
from streamfold.dse.design_point import folding_preset
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.peaks.detector import KERNELS, inputs
from streamfold.sim.design import simulate_build

DEVICE = "xc7z020"


def fastest_folding(length: int) -> str:
    return f"cycles={KERNELS[0] * length}"


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


def build_detector(model: nn.Sequential, length: int, out_dir: Path, folding: str) -> Path:
    graph = to_kernels(export(model, (1, length)))
    return write_build(stitch(graph, folding_preset(graph, folding)), out_dir)


def run_in_verilator(
    model: nn.Sequential,
    x: npt.NDArray[np.uint8],
    out_dir: Path,
    folding: str | None = None,
    stall: float = 0.25,
) -> HardwareRun:
    """Build ``model`` for ``x``'s length and run ``x`` through the RTL twice: with ``stall``
    random stalls on both streams (values only), and free-running, repeated until the
    pipeline has settled (values and the steady state's cycles per frame)."""
    length = x.shape[1]
    graph = to_kernels(export(model, (1, length)))
    design = stitch(graph, folding_preset(graph, folding or fastest_folding(length)))
    build = write_build(design, out_dir)
    codes = input_codes(model, inputs(x).numpy())
    first = first_steady(stage_costs(design), design.stream_in.words)
    reps = -(-(first + 3) // len(x))
    expected = expected_codes(model, x)
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
    )
