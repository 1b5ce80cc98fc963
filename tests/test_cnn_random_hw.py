"""Seeded random CNNs (``cnn_nets.random_cnn``: 1-D and 2-D, any mix of kernel, stride,
padding, pooling, precisions, global pooling or Flatten) through export, lowering and RTL:
PyTorch == reference == Verilator under 20 % random stalls, at the predicted cycles per frame
(within 2 %) and latency (within 10 %).
A few seeds run in ``make test``; ``pytest -m slow`` runs forty (all passed when written)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from cnn_nets import check_in_rtl, random_cnn

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
    check_in_rtl(
        model,
        x,
        shape,
        PRESETS[seed % 3],
        tmp_path / "build",
        stall=0.2,
        seed=seed,
        latency_rel=0.1,
    )


@pytest.mark.parametrize("seed", range(4))
def test_random_cnn_in_rtl(seed: int, tmp_path: Path) -> None:
    _check(seed, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4, 40))
def test_random_cnn_in_rtl_many(seed: int, tmp_path: Path) -> None:
    _check(seed, tmp_path)
