"""Convolutional networks end to end in Verilator: the generated pipeline (pad, sliding windows,
per-pixel MVAUs, max and global pooling, the conv-to-FC transition) equals the exact reference
and PyTorch bit for bit under 25 % random stalls, and its measured cycles per frame are the
cycle model's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from cnn_nets import calibrated, conv1d_net, conv2d_net, gap2d_net
from streamfold.codegen.top import stitch, write_build
from streamfold.cost.estimate import estimate_pipeline
from streamfold.dse.design_point import folding_preset
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.sim.design import simulate_build
from streamfold.sim.exact import run_single

pytestmark = pytest.mark.rtl
FRAMES = 12

NETS = [
    pytest.param(lambda: conv2d_net(2, 1, 1), (2, 11, 14), "balanced", id="2d-pad-pool-fc"),
    pytest.param(lambda: conv2d_net(1, 0, 2), (2, 11, 14), "folded", id="2d-bipolar-stride2"),
    pytest.param(conv1d_net, (1, 40), "balanced", id="1d-kernel1-pool-gap"),
    pytest.param(gap2d_net, (3, 9, 7), "cycles=200", id="2d-kernel1-gap"),
]


@pytest.mark.parametrize(("make", "shape", "folding"), NETS)
def test_cnn_rtl_matches_pytorch_and_reference(make, shape, folding, tmp_path: Path):  # type: ignore[no-untyped-def]
    model = make()
    x = calibrated(model, shape, seed=5)[:FRAMES]
    with torch.no_grad():
        expected = model(x).exact.codes.numpy()
    graph = to_kernels(export(model, shape))
    codes = input_codes(model, x.numpy())
    reference = run_single(graph, codes)
    assert np.array_equal(reference, expected)

    design = stitch(graph, folding_preset(graph, folding))
    est = estimate_pipeline(design)
    predicted = est.interval
    build = write_build(design, tmp_path / "build")
    stalled, _ = simulate_build(build, codes, stall_in=0.25, stall_out=0.25, seed=3)
    assert np.array_equal(stalled, reference.reshape(FRAMES, -1))
    free, run = simulate_build(build, codes)
    assert np.array_equal(free, reference.reshape(FRAMES, -1))
    assert run.cycles_per_frame == pytest.approx(predicted, rel=0.02)
    assert run.latency == pytest.approx(est.latency, rel=0.1)
