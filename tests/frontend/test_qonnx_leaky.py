"""LeakyRelu / PRelu before a quantizer: exact thresholds, against the ``qonnx`` executor
(dyadic slopes, so ONNX Runtime's float32 products are exact too)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import onnx
import pytest
from test_qonnx_helpers import QONNX, Net, qonnx_execute, run_imported

from streamfold.errors import FrontendError
from streamfold.frontend.qonnx import import_qonnx
from streamfold.ir.ops import MultiThreshold

FEATURES = 6


def _net(act: str, quant: dict[str, Any], pre_mul: float = 0.5) -> onnx.ModelProto:
    """Quant -> MatMul -> Mul(pre_mul) -> LeakyRelu/PRelu -> quantizer -> MatMul."""
    rng = np.random.default_rng(2)
    net = Net((1, FEATURES))
    h = net.quant("x", 0.5, 5)
    w = rng.integers(-3, 4, (FEATURES, 3)).astype(np.float32)
    h = net.node("MatMul", [h, net.quant(net.const(w), 1.0, 3)])
    h = net.node("Mul", [h, net.const(np.float32(pre_mul))])
    if act == "LeakyRelu":
        h = net.node("LeakyRelu", [h], alpha=0.25)
    else:
        h = net.node("PRelu", [h, net.const(np.float32([[0.5, 0.125, 0.0]]))])
    kind = quant.pop("kind", "Quant")
    if kind == "MultiThreshold":
        t = net.const(np.float32([[-3, -1, -0.25, 0, 0.5, 2, 4]]))
        h = net.node("MultiThreshold", [h, t], QONNX, out_dtype="UINT3", out_bias=-2.0)
    elif kind == "BipolarQuant":
        h = net.bipolar(h)
    else:
        h = net.quant(h, **quant)
    return net.model(net.node("MatMul", [h, net.const(np.eye(3, dtype=np.float32))]))


CASES = [
    pytest.param("LeakyRelu", {"scale": 0.5, "bits": 4}, 0.5, id="leaky-round-signed"),
    pytest.param("LeakyRelu", {"scale": 0.25, "bits": 3, "mode": "FLOOR"}, 0.5, id="leaky-floor"),
    pytest.param("LeakyRelu", {"scale": 1.0, "bits": 4, "signed": False}, 0.5, id="leaky-unsigned"),
    pytest.param("LeakyRelu", {"scale": 0.5, "bits": 4}, -0.75, id="leaky-negative-scale"),
    pytest.param("PRelu", {"scale": 0.5, "bits": 4, "narrow": True}, 0.5, id="prelu-narrow"),
    pytest.param("PRelu", {"scale": 0.5, "bits": 5, "mode": "CEIL"}, -0.5, id="prelu-ceil-neg"),
    pytest.param("LeakyRelu", {"kind": "MultiThreshold"}, 0.5, id="leaky-multithreshold"),
    pytest.param("PRelu", {"kind": "MultiThreshold"}, -0.25, id="prelu-multithreshold-neg"),
    pytest.param("LeakyRelu", {"kind": "BipolarQuant"}, 0.5, id="leaky-bipolar"),
]


@pytest.mark.parametrize("act, quant, pre_mul", CASES)
def test_leaky_then_quantizer_equals_executor(
    act: str, quant: dict[str, Any], pre_mul: float
) -> None:
    model = _net(act, dict(quant), pre_mul)
    x = np.random.default_rng(3).uniform(-16, 16, (64, FEATURES)).astype(np.float32)
    nn_out, hw_out = run_imported(model, x)
    ref = qonnx_execute(model, x)
    np.testing.assert_array_equal(nn_out, ref)
    np.testing.assert_array_equal(hw_out, ref)
    if quant.get("kind") != "BipolarQuant":
        assert any(isinstance(n.op, MultiThreshold) for n in import_qonnx(model).graph.nodes)


def _raises(model: onnx.ModelProto, message: str) -> None:
    with pytest.raises(FrontendError, match=f"^{re.escape(message)}$"):
        import_qonnx(model)


def test_leaky_must_be_followed_by_a_quantizer() -> None:
    net = Net((1, 4))
    h = net.node("LeakyRelu", [net.quant("x", 1.0, 4)], alpha=0.5)
    model = net.model(net.node("MatMul", [h, net.const(np.eye(4, dtype=np.float32))], name="fc"))
    _raises(
        model,
        "node 'fc' (MatMul): a LeakyRelu/PRelu must be followed directly by a quantizer "
        "(Quant, BipolarQuant or MultiThreshold)",
    )
    net = Net((1, 4))
    h = net.node("MatMul", [net.quant("x", 1.0, 4), net.const(np.eye(4, dtype=np.float32))])
    model = net.model(net.node("LeakyRelu", [h], alpha=0.5))
    _raises(
        model,
        f"model output {model.graph.output[0].name!r}: a LeakyRelu/PRelu must be followed by a "
        "quantizer",
    )


def test_negative_slope_is_refused() -> None:
    net = Net((1, 3))
    h = net.node("PRelu", [net.quant("x", 1.0, 4), net.const(np.float32([1, -0.5, 0]))], name="p")
    _raises(
        net.model(net.quant(h, 1.0, 4)), "node 'p' (PRelu): slope must be >= 0 (monotone), not -1/2"
    )
