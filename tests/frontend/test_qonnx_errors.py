"""QONNX import errors: each names the node, the op and what is supported (messages pinned)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import onnx
import pytest
from test_qonnx_helpers import Net, trunc_net

from streamfold.errors import FrontendError
from streamfold.frontend.qonnx import import_qonnx


def _after_input(op: str, name: str, *extra: str, **attrs: object) -> onnx.ModelProto:
    net = Net((1, 2, 4, 4) if op in ("Conv", "MaxPool") else (1, 4))
    h = net.quant("x", 1.0, 4)
    consts = [net.const(np.asarray(v)) for v in extra]
    return net.model(net.node(op, [h, *consts], name=name, **attrs))


def _raises(model: object, message: str) -> None:
    with pytest.raises(FrontendError, match=f"^{re.escape(message)}$"):
        import_qonnx(model)


def test_unsupported_op_names_node_op_and_supported_ops() -> None:
    with pytest.raises(FrontendError) as e:
        import_qonnx(_after_input("Tanh", "act"))
    assert str(e.value).startswith(
        "node 'act' (Tanh): op Tanh is not supported on activations; supported: Quant, IntQuant, "
    )
    supported = str(e.value).split("; supported: ")[1].split(", ")
    assert {"TopK", "ArgMax", "Concat", "Resize", "Upsample", "DepthToSpace"} <= set(supported)
    assert "Tanh" not in supported


def test_nonzero_zero_point() -> None:
    net = Net((1, 4))
    h = net.quant("x", 1.0, 4, zeropt=1.0, name="qin")
    model = net.model(net.node("MatMul", [h, net.const(np.eye(4, dtype=np.float32))]))
    _raises(model, "node 'qin' (Quant): zero point must be 0, not 1.0")


def test_unsupported_rounding_mode() -> None:
    net = Net((1, 4))
    model = net.model(net.quant("x", 1.0, 4, mode="STOCHASTIC", name="qin"))
    _raises(
        model,
        "node 'qin' (Quant): rounding_mode must be one of ROUND, HALF_EVEN, CEIL, FLOOR, "
        "ROUND_TO_ZERO, DOWN, UP, HALF_UP, HALF_DOWN, not 'STOCHASTIC'",
    )


def test_unsupported_attributes() -> None:
    w = np.ones((2, 1, 3, 3), np.float32)
    _raises(
        _after_input("Conv", "conv", w, kernel_shape=[3, 3], group=3),
        "node 'conv' (Conv): group must divide 2 output channels and give 2 input channels for "
        "weights [2, 1, 3, 3], not 3",
    )
    _raises(
        _after_input("MaxPool", "pool", kernel_shape=[2, 2], ceil_mode=1),
        "node 'pool' (MaxPool): pads must be 0 and ceil_mode 0",
    )


def test_non_affine_float_op_between_quantizers() -> None:
    net = Net((1, 4))
    h = net.node("Relu", [net.quant("x", 1.0, 4)])
    model = net.model(net.node("MatMul", [h, net.const(np.eye(4, dtype=np.float32))], name="fc"))
    _raises(
        model,
        "node 'fc' (MatMul): input must be quantized; a Relu/Clip must be followed by a quantizer",
    )
    _raises(
        _two_activations(),
        "node 'sq' (Mul): one operand must be a constant; adding or multiplying two activations "
        "is not supported",
    )


def _two_activations() -> onnx.ModelProto:
    net = Net((1, 4))
    h = net.quant("x", 1.0, 4)
    return net.model(net.node("Mul", [h, h], name="sq"))


def test_float_weights_and_float_layers_before_the_input_quantizer() -> None:
    _raises(
        _after_input("MatMul", "fc", np.eye(4, dtype=np.float32) * 0.3),
        "node 'fc' (MatMul): weights must be quantized (Quant/BipolarQuant) or integer-valued",
    )
    net = Net((1, 4))
    h = net.node("MatMul", ["x", net.const(np.eye(4, dtype=np.float32))], name="fc0")
    _raises(
        net.model(net.quant(h, 1.0, 4)),
        "model input 'x': is float and reaches node 'fc0' (MatMul) unquantized; declare its "
        "quantization with --input-quant (API: import_qonnx(..., input_quant=...)), e.g. int8 "
        "or fixed<16,6>",
    )


def test_unknown_domain_and_malformed_files(tmp_path: Path) -> None:
    net = Net((1, 4))
    h = net.quant("x", 1.0, 4)
    ins = [h, net.const(1.0), net.const(0.0), net.const(4.0)]
    _raises(
        net.model(net.node("Quant", ins, domain="com.example", name="q2")),
        "node 'q2' (Quant): domain must be one of onnx.brevitas, qonnx.custom_op.general, "
        "finn.custom_op.general, finn, qonnx, not 'com.example'",
    )
    with pytest.raises(FrontendError, match=r"^model: must be a readable ONNX protobuf: "):
        import_qonnx(b"garbage bytes here")
    _raises(tmp_path / "missing.onnx", f"{tmp_path / 'missing.onnx'}: must be an ONNX file")


def test_output_must_be_affine() -> None:
    net = Net((1, 4))
    h = net.node("MatMul", [net.quant("x", 1.0, 4), net.const(np.eye(4, dtype=np.float32))])
    model = net.model(net.node("Relu", [h]))
    _raises(
        model,
        f"model output {model.graph.output[0].name!r}: must be affine per channel; a Relu/Clip "
        "at the end is not supported",
    )


@pytest.mark.parametrize(
    ("scale", "out_scale", "message"),
    [
        (0.0, 4.0, "scale must be positive, not 0"),
        (0.5, np.float32([4, -4, 4]), "output scale must be positive, not 4, -4, 4"),
    ],
)
def test_trunc_scales_must_be_positive(scale: object, out_scale: object, message: str) -> None:
    model = trunc_net(2, scale, out_scale)
    node = next(n.name for n in model.graph.node if n.op_type == "Trunc")
    _raises(model, f"node {node!r} (Trunc): {message}")
