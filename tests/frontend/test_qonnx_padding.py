"""Conv and MaxPool padding: ``auto_pad``, asymmetric ``pads``, and padding an input whose real
zero is a non-zero code (an IR Pad before an unpadded Conv), against the ``qonnx`` executor and
through ``lower_to_kernels``."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import onnx
import pytest
from test_qonnx_helpers import QONNX, Net, qonnx_execute, run_imported

from streamfold.errors import FrontendError
from streamfold.flow import to_kernels
from streamfold.frontend.qonnx import import_qonnx
from streamfold.ir.ops import Conv, MaxPool, Pad
from streamfold.sim.exact import dequantize, run_single

SHAPE = (1, 2, 5, 6)


def _x(n: int = 12) -> np.ndarray:
    return np.random.default_rng(0).uniform(-6, 12, (n, *SHAPE[1:])).astype(np.float32)


def _conv_net(offset: bool, pool: dict[str, Any] | None = None, **conv: Any) -> onnx.ModelProto:
    """Quant -> [MultiThreshold (codes 0..15) -> Add(-8): real 0 is code 8] -> Conv(**conv)
    -> Quant -> [MaxPool(**pool)] -> Mul."""
    rng = np.random.default_rng(1)
    net = Net(SHAPE)
    h = net.quant("x", 0.5, 5)
    if offset:
        t = net.const(np.arange(-7.5, 7.5, 1.0, dtype=np.float32)[None] / 2)
        h = net.node("MultiThreshold", [h, t], QONNX, out_dtype="UINT4")
        h = net.node("Add", [h, net.const(np.float32(-8))])
    w = rng.integers(-2, 3, (3, 2, 3, 3)).astype(np.float32)
    h = net.node("Conv", [h, net.quant(net.const(w), 1.0, 3)], kernel_shape=[3, 3], **conv)
    h = net.quant(h, 2.0, 4)
    if pool is not None:
        h = net.node("MaxPool", [h], **pool)
    return net.model(net.node("Mul", [h, net.const(np.float32(0.25))]))


def _check(model: onnx.ModelProto) -> None:
    x = _x()
    nn_out, hw_out = run_imported(model, x)
    ref = qonnx_execute(model, x)
    np.testing.assert_array_equal(nn_out, ref)
    np.testing.assert_array_equal(hw_out, ref)
    imported = import_qonnx(model)
    kernels = to_kernels(imported.graph)
    codes = imported.input_codes(x)
    real = dequantize(run_single(kernels, codes), kernels.scale(kernels.outputs[0]))
    np.testing.assert_array_equal(real, ref)


CONVS = [
    pytest.param({"auto_pad": "SAME_UPPER", "strides": [2, 2]}, id="same-upper-stride2"),
    pytest.param({"auto_pad": "SAME_LOWER", "strides": [2, 1]}, id="same-lower"),
    pytest.param({"auto_pad": "VALID"}, id="valid"),
    pytest.param({"pads": [0, 1, 2, 0]}, id="asymmetric"),
    pytest.param({"pads": [1, 1, 1, 1]}, id="symmetric"),
]


@pytest.mark.parametrize("offset", [False, True], ids=["zero-code-0", "zero-code-8"])
@pytest.mark.parametrize("conv", CONVS)
def test_conv_padding_matches_executor(conv: dict[str, Any], offset: bool) -> None:
    model = _conv_net(offset, **conv)
    _check(model)
    graph = import_qonnx(model).graph
    pads = [n.op for n in graph.nodes if isinstance(n.op, Pad)]
    (conv_op,) = [n.op for n in graph.nodes if isinstance(n.op, Conv)]
    symmetric = conv.get("pads") == [1, 1, 1, 1]
    if offset and (symmetric or conv.get("auto_pad", "VALID") != "VALID"):
        assert [p.value for p in pads] == [8] and not any(conv_op.padding)
    if symmetric and not offset:
        assert not pads and conv_op.padding == (1, 1)


@pytest.mark.parametrize(
    "pool",
    [
        {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 0, 1, 1]},
        {"kernel_shape": [2, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER"},
    ],
    ids=["pads", "same-upper"],
)
def test_maxpool_padding_pads_with_the_lowest_code(pool: dict[str, Any]) -> None:
    model = _conv_net(False, pool, pads=[1, 1, 1, 1])
    _check(model)
    graph = import_qonnx(model).graph
    kinds = [type(n.op) for n in graph.nodes]
    assert kinds[kinds.index(MaxPool) - 1] is Pad
    (pad,) = [n.op for n in graph.nodes if isinstance(n.op, Pad)]
    assert pad.value == -8  # i4: the Quant after the Conv


def test_padding_refused_where_real_zero_is_no_code() -> None:
    net = Net(SHAPE)
    h = net.node("Add", [net.quant("x", 1.0, 4), net.const(np.float32(0.5))])
    w = np.ones((1, 2, 3, 3), np.float32)
    model = net.model(
        net.node("Conv", [h, net.const(w)], name="c", kernel_shape=[3, 3], pads=[1] * 4)
    )
    message = (
        "node 'c' (Conv): zero padding needs a code for real 0 in its input, but the input "
        "means i4 code * 1 + 1/2: real 0 is no code of it"
    )
    with pytest.raises(FrontendError, match=f"^{re.escape(message)}$"):
        import_qonnx(model)
    net = Net(SHAPE)
    h = net.bipolar(net.quant("x", 1.0, 4))
    model = net.model(
        net.node("Conv", [h, net.const(w)], name="c", kernel_shape=[3, 3], pads=[1] * 4)
    )
    with pytest.raises(FrontendError, match=r"^node 'c' \(Conv\): zero padding needs .* bipolar "):
        import_qonnx(model)


def test_unknown_auto_pad_is_refused() -> None:
    model = _conv_net(False, auto_pad="SAME")
    with pytest.raises(
        FrontendError,
        match=r"\(Conv\): auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, not 'SAME'$",
    ):
        import_qonnx(model)


def test_nn_graph_with_pad_prints_and_parses_back() -> None:
    from streamfold.ir.text import parse_graph, print_graph
    from streamfold.ir.verify import verify

    graph = import_qonnx(_conv_net(True, pads=[0, 1, 2, 0])).graph
    assert graph.stage == "nn" and any(isinstance(n.op, Pad) for n in graph.nodes)
    assert verify(parse_graph(print_graph(graph))) == graph


@pytest.mark.rtl
def test_pad_with_the_zero_code_in_rtl(rtl_cache: object, tmp_path: object) -> None:
    """Imported (Pad with code 8, asymmetric) -> kernels -> Verilator equals the exact model."""
    from pathlib import Path

    from streamfold.codegen.top import stitch, write_build
    from streamfold.dse.design_point import folding_preset
    from streamfold.sim.design import simulate_build

    imported = import_qonnx(_conv_net(True, pads=[0, 1, 2, 0]))
    graph = to_kernels(imported.graph)
    assert [p.op.value for p in graph.nodes if isinstance(p.op, Pad)] == [8]
    codes = imported.input_codes(_x(4))
    out_dir = write_build(stitch(graph, folding_preset(graph, "folded")), Path(str(tmp_path)) / "b")
    rtl, _ = simulate_build(out_dir, codes)
    expected = run_single(graph, codes)
    np.testing.assert_array_equal(rtl.reshape(expected.shape), expected)  # flat, channels first
