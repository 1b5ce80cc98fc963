"""CNNs through QONNX: our QAT CNNs (1-D and 2-D convolutions, padding, stride, max pooling,
global average pooling, conv-to-FC) exported with ``export_qonnx`` run exactly in ``qonnx``'s
executor, and imported back with ``import_qonnx`` they lower to hardware kernels (a global
average becoming a GlobalSumPool, not a convolution) that compute PyTorch's output codes."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from cnn_nets import calibrated, conv1d_net, conv2d_net, gap2d_net
from streamfold.errors import FrontendError
from streamfold.flow import to_kernels
from streamfold.frontend.export_qonnx import INPUT, export_qonnx
from streamfold.frontend.qonnx import import_qonnx
from streamfold.frontend.torch import export
from streamfold.ir.ops import Conv, GlobalSumPool, SlidingWindow
from streamfold.sim.exact import dequantize, run_single

qonnx_wrapper = pytest.importorskip("qonnx.core.modelwrapper", reason="qonnx is not installed")
from qonnx.core.onnx_exec import execute_onnx  # noqa: E402

NETS = [
    pytest.param(lambda: conv2d_net(2, 1, 1), (2, 11, 14), id="2d-pad-pool-fc"),
    pytest.param(lambda: conv2d_net(1, 0, 2), (2, 11, 14), id="2d-bipolar-stride2"),
    pytest.param(conv1d_net, (1, 40), id="1d-kernel1-pool-gap"),
    pytest.param(gap2d_net, (3, 9, 7), id="2d-gap"),
]


@pytest.mark.parametrize(("make", "shape"), NETS)
def test_cnn_round_trip_through_qonnx(make, shape, tmp_path: Path):  # type: ignore[no-untyped-def]
    model = make()
    x = calibrated(model, shape, seed=7)[:6]
    with torch.no_grad():
        expected = model(x).exact.codes.numpy()
    path = tmp_path / "cnn.onnx"
    proto = export_qonnx(model, shape, path, batch_size=len(x))
    context = execute_onnx(
        qonnx_wrapper.ModelWrapper(proto), {INPUT: x.numpy()}, return_full_exec_context=True
    )
    (mul,) = (n for n in proto.graph.node if n.op_type == "Mul" and "output_mul" in n.input)
    np.testing.assert_array_equal(context[mul.input[0]], expected)

    export_qonnx(model, shape, path)  # batch 1: what the importer takes
    imported = import_qonnx(path)
    kernels = to_kernels(imported.graph)
    kinds = {type(n.op) for n in kernels.nodes}
    assert SlidingWindow in kinds and Conv not in kinds
    assert (GlobalSumPool in kinds) == any(n.op_type == "ReduceSum" for n in proto.graph.node)
    codes = imported.input_codes(x.numpy())
    out = run_single(kernels, codes)
    np.testing.assert_array_equal(out, run_single(imported.graph, codes))  # lowering: exact
    # The importer may pick other codes (0/1 for bipolar) with the matching scale, read back
    # from the file's float32 output Mul/Add: equal logits up to that float32 rounding (the
    # product and the sum each rounded once: 2**-24 relative each, 2**-22 with margin).
    scale = imported.graph.scale(imported.graph.outputs[0])
    ours = dequantize(out, scale)
    graph = export(model, shape)
    torch_logits = dequantize(expected, graph.scale(graph.outputs[0]))
    mul = np.array([float(abs(m)) for m in scale.mul])  # type: ignore[union-attr]
    add = np.array([float(abs(a)) for a in scale.add])  # type: ignore[union-attr]
    bound = 2.0**-22 * (np.abs(out) * mul + add) + np.spacing(np.abs(torch_logits))
    assert (np.abs(ours - torch_logits) <= bound).all()
    np.testing.assert_array_equal(ours.argmax(axis=1), torch_logits.argmax(axis=1))


def test_global_average_pool_imports_as_a_sum_pool(tmp_path: Path) -> None:
    """A GlobalAveragePool (as Brevitas writes it) becomes a GlobalSumPool with 1/N on the
    scale, and a ReduceSum that leaves out a spatial axis is refused naming the node."""
    import onnx
    from onnx import TensorProto, helper

    def model(op: str, axes: list[int] | None) -> onnx.ModelProto:
        nodes = [
            helper.make_node(
                "Quant", ["x", "one", "zero", "four"], ["q"], domain="qonnx.custom_op.general",
                signed=0, narrow=0, rounding_mode="ROUND",
            ),
            helper.make_node(op, ["q", "axes"] if axes else ["q"], ["y"], name="pool"),
        ]  # fmt: skip
        inits = [
            helper.make_tensor("one", TensorProto.FLOAT, [], [1.0]),
            helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
            helper.make_tensor("four", TensorProto.FLOAT, [], [4.0]),
        ]
        if axes:
            inits.append(helper.make_tensor("axes", TensorProto.INT64, [len(axes)], axes))
        graph = helper.make_graph(
            nodes,
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 5])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 1, 1])],
            initializer=inits,
        )
        opsets = [helper.make_opsetid("", 13), helper.make_opsetid("qonnx.custom_op.general", 1)]
        return helper.make_model(graph, opset_imports=opsets)

    path = tmp_path / "gap.onnx"
    onnx.save(model("GlobalAveragePool", None), path)
    imported = import_qonnx(path)
    (node,) = imported.graph.nodes
    assert isinstance(node.op, GlobalSumPool)
    x = np.arange(60, dtype=np.float32).reshape(1, 3, 4, 5) % 16
    sums = run_single(imported.graph, imported.input_codes(x))
    np.testing.assert_array_equal(sums.reshape(3), x.reshape(3, 20).sum(axis=1))
    assert imported.graph.scale(imported.graph.outputs[0]).mul == (Fraction(1, 20),)  # type: ignore[union-attr]

    onnx.save(model("ReduceSum", [2]), path)
    with pytest.raises(FrontendError, match=r"ReduceSum must reduce every spatial axis \[2, 3\]"):
        import_qonnx(path)
