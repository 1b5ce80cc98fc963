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
    # max-fps feeds the first MVAU (SIMD 9) from its 1-channel window through a 1 -> 9
    # up-converter and drains it through a 1 -> 2 one: the paced FIFO depth behind a converter
    # is in the producer's words (ran at 594 cycles/frame for 576 when it was not)
    pytest.param(chain3_net, (1, 8, 8), "max-fps", id="3conv-strided-max-fps"),
]


@pytest.mark.parametrize(("make", "shape", "folding"), NETS)
def test_cnn_rtl_matches_pytorch_and_reference(make, shape, folding, tmp_path: Path):  # type: ignore[no-untyped-def]
    model = make()
    x = calibrated(model, shape, seed=5)[:FRAMES]
    check_in_rtl(model, x, shape, folding, tmp_path / "build", latency_rel=0.1)
