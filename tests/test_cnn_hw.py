"""Convolutional networks end to end in Verilator: the generated pipeline (pad, sliding windows,
per-pixel MVAUs, max and global pooling, the conv-to-FC transition) equals the exact reference
and PyTorch bit for bit under 25 % random stalls, and its measured cycles per frame are the
cycle model's."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnn_nets import calibrated, chain3_net, check_in_rtl, conv1d_net, conv2d_net, gap2d_net

pytestmark = pytest.mark.rtl
FRAMES = 12

NETS = [
    pytest.param(lambda: conv2d_net(2, 1, 1), (2, 11, 14), "balanced", id="2d-pad-pool-fc"),
    pytest.param(lambda: conv2d_net(1, 0, 2), (2, 11, 14), "folded", id="2d-bipolar-stride2"),
    pytest.param(conv1d_net, (1, 40), "balanced", id="1d-kernel1-pool-gap"),
    pytest.param(gap2d_net, (3, 9, 7), "cycles=200", id="2d-kernel1-gap"),
    pytest.param(chain3_net, (1, 8, 8), "balanced", id="3conv-strided-balanced"),
    pytest.param(
        chain3_net,
        (1, 8, 8),
        "max-fps",
        id="3conv-strided-max-fps",
        # Known bug (2026-12-04): since the width converter got cheap, max-fps feeds the first
        # MVAU (SIMD 9) from its 1-channel window through a 1 -> 9 up-converter, and the paced
        # FIFO sizing under-sizes that path: bit-exact, but 594 cycles/frame measured for 576
        # predicted (+3.1 %); with the window's or the MVAU's FIFO 4x deeper it runs at 576.
        # Not diagnosed yet (cost.fifo_sizing's pacing of that path).
        marks=pytest.mark.xfail(strict=True, reason="FIFO sizing behind an up-converter"),
    ),
]


@pytest.mark.parametrize(("make", "shape", "folding"), NETS)
def test_cnn_rtl_matches_pytorch_and_reference(make, shape, folding, tmp_path: Path):  # type: ignore[no-untyped-def]
    model = make()
    x = calibrated(model, shape, seed=5)[:FRAMES]
    check_in_rtl(model, x, shape, folding, tmp_path / "build", latency_rel=0.1)
