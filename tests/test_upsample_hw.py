"""Networks that upsample end to end in Verilator: nearest nn.Upsample (1-D and 2-D) and
PixelShuffle (DepthToSpace, CRD) between quantized convolutions. The generated pipeline equals
PyTorch and the exact reference bit for bit under 25 % random stalls, and its measured cycles
per frame are the cycle model's (within 2 %)."""

from __future__ import annotations

from pathlib import Path

import pytest
from torch import nn

from cnn_nets import calibrated, check_in_rtl
from streamfold.frontend.torch import export
from streamfold.ir.ops import DepthToSpace, DepthToSpaceMode, Upsample
from streamfold.quant import QuantConv1d, QuantConv2d, QuantInput, QuantLinear, Requantizer

FRAMES = 6


def upsample2d_net() -> nn.Sequential:
    """[2, 5, 6] -> conv -> Upsample x2 -> conv -> PixelShuffle(2) -> conv stride 2 -> FC."""
    return nn.Sequential(
        QuantInput(4, scale=1 / 15),
        QuantConv2d(2, 4, 3, padding=1, bias=False, weight_bits=2),
        nn.BatchNorm2d(4),
        Requantizer(2, signed=False),
        nn.Upsample(scale_factor=2, mode="nearest"),
        QuantConv2d(4, 8, 3, bias=False, weight_bits=2),
        nn.BatchNorm2d(8),
        Requantizer(3, signed=False),
        nn.PixelShuffle(2),
        QuantConv2d(2, 3, 3, stride=2, bias=False, weight_bits=3),
        nn.BatchNorm2d(3),
        Requantizer(2, signed=False),
        nn.Flatten(),
        QuantLinear(3 * 7 * 9, 4, bias=True, weight_bits=2),
    )


def upsample1d_net() -> nn.Sequential:
    """[1, 12] -> conv -> Upsample x3 -> conv -> global average -> FC."""
    return nn.Sequential(
        QuantInput(8, scale=1 / 255, signed=True),
        QuantConv1d(1, 4, 3, bias=False, weight_bits=3),
        nn.BatchNorm1d(4),
        Requantizer(3, signed=True),
        nn.Upsample(scale_factor=3),
        QuantConv1d(4, 4, 2, bias=False, weight_bits=2),
        nn.BatchNorm1d(4),
        Requantizer(2, signed=False),
        nn.AdaptiveAvgPool1d(1),
        nn.Flatten(),
        QuantLinear(4, 3, bias=False, weight_bits=4),
    )


def test_export_makes_upsample_and_depth_to_space_nodes() -> None:
    model = upsample2d_net()
    calibrated(model, (2, 5, 6), seed=1)
    ops = [n.op for n in export(model, (2, 5, 6)).nodes]
    assert Upsample((2, 2)) in ops and DepthToSpace(2, DepthToSpaceMode.CRD) in ops


@pytest.mark.rtl
@pytest.mark.parametrize(
    ("make", "shape", "folding"),
    [
        pytest.param(upsample2d_net, (2, 5, 6), "balanced", id="2d-upsample-pixelshuffle"),
        pytest.param(upsample1d_net, (1, 12), "folded", id="1d-upsample-3"),
    ],
)
def test_upsampling_net_rtl_matches_pytorch_and_reference(make, shape, folding, tmp_path: Path):  # type: ignore[no-untyped-def]
    model = make()
    x = calibrated(model, shape, seed=5)[:FRAMES]
    check_in_rtl(model, x, shape, folding, tmp_path / "build", latency_rel=0.1)
