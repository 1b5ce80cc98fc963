"""DAG nets through QONNX: qonnx's executor runs the exported file with PyTorch's outputs bit
for bit, and ``import_qonnx`` reads Add, Concat and grouped Conv back to the same reals."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from test_qonnx_helpers import Net, qonnx_execute, run_imported

from dag_nets import NETS, PRECISIONS, SHAPE, digits, trained
from streamfold.errors import FrontendError
from streamfold.frontend.export_qonnx import INPUT, export_qonnx
from streamfold.frontend.qonnx import import_qonnx
from streamfold.frontend.torch_fx import export_module, input_codes
from streamfold.ir.graph import Scale
from streamfold.quant import exact_of
from streamfold.sim.exact import run_single

qonnx_wrapper = pytest.importorskip("qonnx.core.modelwrapper", reason="qonnx is not installed")
from qonnx.core.onnx_exec import execute_onnx  # noqa: E402

CASES = [pytest.param(n, p, id=f"{n}-{p}") for n in NETS for p in PRECISIONS]
JOIN = {"resnet": "Add", "mobilenet": "Conv", "concat": "Concat"}


def _reals(codes: np.ndarray, scale: Scale) -> list[list[Fraction]]:
    """Exact real outputs (rationals) of [batch, channels] codes."""
    return [
        [v * scale.channel(c)[0] + scale.channel(c)[1] for c, v in enumerate(r)]
        for r in codes.tolist()
    ]


def _has_join(proto: onnx.ModelProto, op: str) -> bool:
    def grouped(n: onnx.NodeProto) -> bool:
        return any(a.name == "group" and a.i > 1 for a in n.attribute)

    nodes = [n for n in proto.graph.node if n.op_type == op]
    return any(grouped(n) for n in nodes) if op == "Conv" else bool(nodes)


@pytest.mark.parametrize(("name", "precision"), CASES)
def test_qonnx_executor_and_reimport_match_pytorch(
    name: str, precision: str, tmp_path: Path
) -> None:
    model = trained(name, precision, steps=3)
    x, _ = digits(8)
    with torch.no_grad():
        out = model(x)
    ex = exact_of(out)
    assert ex is not None
    path = tmp_path / "model.onnx"
    proto = export_qonnx(model, SHAPE, path, batch_size=len(x), float64_output_scale=True)
    assert _has_join(proto, JOIN[name])
    (logits,) = execute_onnx(qonnx_wrapper.ModelWrapper(proto), {INPUT: x.numpy()}).values()
    np.testing.assert_array_equal(logits, out.numpy())

    imported = import_qonnx(export_qonnx(model, SHAPE, tmp_path / "one.onnx"))  # batch 1
    codes = imported.input_codes(x.numpy())
    np.testing.assert_array_equal(codes, input_codes(model, x.numpy()))
    again = run_single(imported.graph, codes)
    # The importer may choose other codes for the same reals (u2 plus an offset for i2), and
    # reads the output scale as the file's float32 Mul/Add: the reals agree exactly with those.
    scale = export_module(model, SHAPE).scales[0][1]
    in_file = Scale(tuple(map(_f32, scale.mul)), tuple(map(_f32, scale.add)))
    assert _reals(again, imported.graph.scales[0][1]) == _reals(ex.codes.numpy(), in_file)


def _f32(v: Fraction) -> Fraction:
    return Fraction(float(np.float32(float(v))))


# ------------------------------------------------------------------ hand-written QONNX graphs
def _x(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-9, 9, (5, *shape[1:])).astype(np.float32)


def test_add_of_two_activations_matches_qonnx() -> None:
    net = Net((1, 3, 4, 4))
    h = net.quant("x", 1.0, 4, signed=True, name="qin")
    a = net.quant(h, 0.5, 3, signed=True)
    b = net.quant(net.node("Relu", [h]), 0.25, 3, signed=False)
    model = net.model(net.quant(net.node("Add", [a, b], name="res"), 0.75, 4, signed=True))
    x = _x((1, 3, 4, 4))
    nn_out, hw_out = run_imported(model, x)
    ref = qonnx_execute(model, x)
    np.testing.assert_array_equal(nn_out, ref)
    np.testing.assert_array_equal(hw_out, ref)
    (add,) = (n for n in import_qonnx(model).graph.nodes if type(n.op).__name__ == "Add")
    assert add.op.factors == (2, 1)  # type: ignore[union-attr]


def test_concat_and_depthwise_conv_match_qonnx() -> None:
    rng = np.random.default_rng(3)
    net = Net((1, 2, 5, 5))
    h = net.quant("x", 1.0, 4, signed=False, name="qin")
    a = net.quant(h, 0.5, 3, signed=False)
    b = net.quant(h, 1.0, 2, signed=False)
    cat = net.node("Concat", [a, b], axis=1)  # 4 channels, scales 0.5, 0.5, 1, 1
    w = rng.integers(-2, 2, (4, 1, 3, 3)).astype(np.float32)
    conv = net.node(
        "Conv",
        [cat, net.quant(net.const(w), 1.0, 2)],
        kernel_shape=[3, 3],
        pads=[1, 1, 1, 1],
        group=4,
    )
    model = net.model(net.quant(conv, 0.5, 4, signed=True))
    x = np.random.default_rng(0).uniform(0, 15, (4, 2, 5, 5)).astype(np.float32)
    nn_out, hw_out = run_imported(model, x)
    ref = qonnx_execute(model, x)
    np.testing.assert_array_equal(nn_out, ref)
    np.testing.assert_array_equal(hw_out, ref)
    graph = import_qonnx(model).graph
    assert [n.op.groups for n in graph.nodes if type(n.op).__name__ == "Conv"] == [4]  # type: ignore[union-attr]


def _raises(model: onnx.ModelProto, message: str) -> None:
    with pytest.raises(FrontendError, match=f"^{re.escape(message)}"):
        import_qonnx(model)


def test_import_refuses_joins_it_cannot_align() -> None:
    net = Net((1, 2, 4, 4))
    h = net.quant("x", 1.0, 4, name="qin")
    a = net.quant(h, np.array([0.5, 0.25], np.float32).reshape(1, 2, 1, 1), 3)
    _raises(
        net.model(net.node("Add", [a, net.quant(h, 0.5, 3)], name="res")),
        "node 'res' (Add): input 0 must have one nonzero scale per tensor to be aligned with "
        "integers, not 2 per-channel scales",
    )
    net = Net((1, 2, 4, 4))
    h = net.quant("x", 1.0, 4, name="qin")
    odd = net.node("Add", [net.quant(h, 0.1, 3), net.quant(h, 0.3, 3)], name="res")
    _raises(net.model(odd), "node 'res' (Add): input scales 0.10000000149011612 and")
    net = Net((1, 2, 4, 4))
    h = net.quant("x", 1.0, 4, name="qin")
    cat = net.node("Concat", [net.quant(h, 0.5, 3), net.quant(h, 0.5, 3)], name="cat", axis=2)
    _raises(net.model(cat), "node 'cat' (Concat): axis must be 1 (channels), not 2")
    net = Net((1, 2, 4, 4))
    h = net.quant("x", 1.0, 4, name="qin")
    w = net.quant(net.const(np.ones((4, 1, 1, 1), np.float32)), 1.0, 2)
    conv = net.node("Conv", [h, w], name="dw", kernel_shape=[1, 1], group=3)
    _raises(
        net.model(conv),
        "node 'dw' (Conv): group must divide 4 output channels and give 2 input channels for "
        "weights [4, 1, 1, 1], not 3",
    )
