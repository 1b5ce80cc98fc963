"""Seeded random CNNs (``cnn_nets.random_cnn``: 1-D and 2-D, any mix of kernel, stride,
padding, pooling, precisions, global pooling or Flatten) through export, lowering and RTL:
PyTorch == reference == Verilator under 20 % random stalls, at the predicted cycles per frame.
A few seeds run in ``make test``; ``pytest -m slow`` runs forty (all passed when written)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from cnn_nets import random_cnn
from streamfold.codegen.top import stitch, write_build
from streamfold.cost.estimate import estimate_pipeline
from streamfold.dse.design_point import folding_preset
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.sim.design import simulate_build
from streamfold.sim.exact import run_single

pytestmark = pytest.mark.rtl
FRAMES = 8
PRESETS = ("folded", "balanced", "cycles=50")


def _check(seed: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    model, shape = random_cnn(rng)
    x = torch.rand(FRAMES, *shape) * 2 - 1
    model.train()
    for _ in range(3):  # Requantizer scales and BatchNorm statistics
        model(x)
    model.eval()
    with torch.no_grad():
        expected = model(x).exact.codes.numpy()
    graph = to_kernels(export(model, shape))
    codes = input_codes(model, x.numpy())
    reference = run_single(graph, codes)
    assert np.array_equal(reference, expected)
    design = stitch(graph, folding_preset(graph, PRESETS[seed % 3]))
    build = write_build(design, tmp_path / "build")
    stalled, _ = simulate_build(build, codes, stall_in=0.2, stall_out=0.2, seed=seed)
    assert np.array_equal(stalled, reference.reshape(FRAMES, -1))
    free, run = simulate_build(build, codes)
    assert np.array_equal(free, reference.reshape(FRAMES, -1))
    assert run.cycles_per_frame == pytest.approx(estimate_pipeline(design).interval, rel=0.02)


@pytest.mark.parametrize("seed", range(4))
def test_random_cnn_in_rtl(seed: int, tmp_path: Path) -> None:
    _check(seed, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4, 40))
def test_random_cnn_in_rtl_many(seed: int, tmp_path: Path) -> None:
    _check(seed, tmp_path)
