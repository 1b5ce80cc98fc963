"""Networks that upsample end to end in Verilator: nearest nn.Upsample (1-D and 2-D) and
PixelShuffle (DepthToSpace, CRD) between quantized convolutions. The generated pipeline equals
PyTorch and the exact reference bit for bit under 25 % random stalls, and its measured cycles
per frame are the cycle model's (within 2 %)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
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


NETS = [
    pytest.param(upsample2d_net, (2, 5, 6), id="2d"),
    pytest.param(upsample1d_net, (1, 12), id="1d"),
]


@pytest.mark.parametrize(("make", "shape"), NETS)
def test_qonnx_export_runs_exactly_and_reimports(make, shape, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """QAT model -> QONNX (Resize, DepthToSpace) -> the qonnx executor (onnxruntime) gives
    PyTorch's logits bit for bit; re-imported and lowered to kernels, the same logits."""
    pytest.importorskip("qonnx")
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx

    from streamfold.flow import to_kernels
    from streamfold.frontend.export_qonnx import INPUT, OUTPUT, export_qonnx
    from streamfold.frontend.qonnx import import_qonnx
    from streamfold.sim.exact import dequantize, run_single

    model = make()
    x = calibrated(model, shape, seed=2)[:FRAMES]
    with torch.no_grad():
        floats = model(x).numpy()
    path = tmp_path / "model.onnx"
    proto = export_qonnx(model, shape, path, batch_size=FRAMES, float64_output_scale=True)
    assert {"Resize"} <= {n.op_type for n in proto.graph.node}
    out = execute_onnx(ModelWrapper(proto), {INPUT: x.numpy()})[OUTPUT]
    np.testing.assert_array_equal(out, floats)
    export_qonnx(model, shape, tmp_path / "one.onnx")  # the importer reads batch size 1
    imported = import_qonnx(tmp_path / "one.onnx")
    kernels = to_kernels(imported.graph)
    assert any(isinstance(n.op, Upsample) for n in kernels.nodes)
    codes = run_single(kernels, imported.input_codes(x.numpy()))
    logits = dequantize(codes, kernels.scale(kernels.outputs[0]))
    np.testing.assert_allclose(logits, floats, rtol=2.0**-20)  # float32 file constants


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


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (nn.Upsample(scale_factor=2, mode="bilinear"), r"mode='bilinear' scale_factor=2.0"),
        (nn.Upsample(scale_factor=1.5), r"mode='nearest' scale_factor=1.5"),
    ],
)
def test_export_refuses_other_upsampling(layer: nn.Module, message: str) -> None:
    from streamfold.errors import FrontendError

    model = nn.Sequential(QuantInput(4, scale=1 / 15), layer)
    with pytest.raises(
        FrontendError,
        match=r"^layer 1 \(Upsample\): must be nearest with integer scale factors for input "
        rf"\[4, 5\], not {message} size=None$",
    ):
        export(model, (2, 4, 5))


def test_export_of_size_given_upsampling_and_pixel_shuffle_of_the_input() -> None:
    model = nn.Sequential(
        QuantInput(4, scale=1 / 15), nn.Upsample(size=(8, 15)), nn.PixelShuffle(2)
    )
    g = export(model, (4, 4, 5))
    assert [n.op for n in g.nodes] == [Upsample((2, 3)), DepthToSpace(2, DepthToSpaceMode.CRD)]
    x = torch.rand(3, 4, 4, 5)
    model.eval()
    with torch.no_grad():
        expected = model(x).exact.codes.numpy()
    from streamfold.frontend.torch import input_codes
    from streamfold.sim.exact import run_single

    np.testing.assert_array_equal(run_single(g, input_codes(model, x.numpy())), expected)
