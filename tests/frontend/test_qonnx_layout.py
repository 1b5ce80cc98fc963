"""Layout ops on activations (Unsqueeze/Squeeze/Reshape of size-1 axes, Transpose), the
channels-last domain, host tails (Softmax, LogSoftmax) and ReduceMean, against the ``qonnx``
executor (ONNX Runtime inside it for the standard ops)."""

from __future__ import annotations

import re

import numpy as np
import onnx
import pytest
from test_qonnx_helpers import QONNX, Net, qonnx_execute, run_imported

from streamfold.errors import FrontendError
from streamfold.frontend.qonnx import import_qonnx
from streamfold.ir.ops import Flatten, GlobalSumPool


def _x(shape: tuple[int, ...], n: int = 16, lo: float = -6, hi: float = 12) -> np.ndarray:
    return np.random.default_rng(0).uniform(lo, hi, (n, *shape[1:])).astype(np.float32)


def _check(model: onnx.ModelProto, shape: tuple[int, ...]) -> None:
    x = _x(shape)
    nn_out, hw_out = run_imported(model, x)
    ref = qonnx_execute(model, x)
    assert nn_out.shape == ref.shape
    np.testing.assert_array_equal(nn_out, ref)
    np.testing.assert_array_equal(hw_out, ref)


def _bn(net: Net, h: str, channels: int) -> str:
    rng = np.random.default_rng(channels)
    stats = (
        rng.choice([0.5, 1, 2], channels),
        rng.choice([-1, 0, 0.5], channels),
        rng.choice([-1, 0, 2], channels),
        rng.choice([0.25, 1, 4], channels),
    )
    return net.node("BatchNormalization", [h, *(net.const(v) for v in stats)], epsilon=0.0)


def _fc_bn(opset: int, shape_op: str) -> onnx.ModelProto:
    """Quant -> MatMul -> (Unsqueeze | Reshape) [1, 5, 1] -> BN -> (Squeeze | Reshape) [1, 5]
    -> Quant -> MatMul: how FINN-streamlined and exported BatchNorm1d graphs look."""
    rng = np.random.default_rng(1)
    net = Net((1, 6))
    h = net.quant("x", 0.5, 4)
    h = net.node("MatMul", [h, net.quant(net.const(rng.integers(-3, 4, (6, 5))), 1.0, 3)])
    axes = np.int64([2])
    if shape_op == "Reshape":
        h = net.node("Reshape", [h, net.const(np.int64([1, 5, 1]), np.int64)])
    elif opset >= 13:
        h = net.node("Unsqueeze", [h, net.const(axes, np.int64)])
    else:
        h = net.node("Unsqueeze", [h], axes=[2])
    h = _bn(net, h, 5)
    if shape_op == "Reshape":
        h = net.node("Reshape", [h, net.const(np.int64([1, -1]), np.int64)])
    elif opset >= 13:
        h = net.node("Squeeze", [h, net.const(axes, np.int64)])
    else:
        h = net.node("Squeeze", [h], axes=[2])
    h = net.quant(h, 0.5, 4, signed=False)
    w2 = rng.integers(-2, 3, (5, 3)).astype(np.float32)
    return net.model(net.node("MatMul", [h, net.const(w2)]), opset=opset)


@pytest.mark.parametrize("opset, shape_op", [(11, "Unsqueeze"), (13, "Unsqueeze"), (13, "Reshape")])
def test_size_one_axes_around_batchnorm(opset: int, shape_op: str) -> None:
    _check(_fc_bn(opset, shape_op), (1, 6))


def test_unsqueezed_output_keeps_its_onnx_shape() -> None:
    net = Net((1, 4))
    h = net.quant("x", 1.0, 4)
    h = net.node("MatMul", [h, net.const(np.eye(4, dtype=np.float32)[:, :3] * 2)])
    _check(net.model(net.node("Unsqueeze", [h], axes=[1, 3])), (1, 4))


def _nhwc_round_trip() -> onnx.ModelProto:
    """Quant -> Transpose to NHWC -> Mul per channel [1, 1, 1, C] -> MultiThreshold (NHWC)
    -> Transpose back -> Conv -> output transposed to NHWC."""
    net = Net((1, 3, 4, 4))
    h = net.quant("x", 1.0, 4)
    h = net.node("Transpose", [h], perm=[0, 2, 3, 1])
    h = net.node("Mul", [h, net.const(np.float32([0.5, 1, 2]).reshape(1, 1, 1, 3))])
    t = net.const(np.float32([[-2, 0, 1], [-4, 1, 3], [0, 2, 6]]))
    h = net.node("MultiThreshold", [h, t], QONNX, data_layout="NHWC", out_dtype="UINT2")
    h = net.node("Transpose", [h], perm=[0, 3, 1, 2])
    w = np.random.default_rng(2).integers(-2, 3, (2, 3, 3, 3)).astype(np.float32)
    h = net.node("Conv", [h, net.const(w)], kernel_shape=[3, 3])
    return net.model(net.node("Transpose", [h], perm=[0, 2, 3, 1]))


def test_transposes_and_nhwc_multithreshold() -> None:
    _check(_nhwc_round_trip(), (1, 3, 4, 4))


def _cnn_for_channels_last() -> onnx.ModelProto:
    """Every op ``ConvertToChannelsLast`` wraps: Conv, BatchNormalization, MaxPool."""
    rng = np.random.default_rng(9)
    net = Net((1, 2, 6, 6))
    h = net.quant("x", 0.5, 4, signed=False)
    w = rng.integers(-2, 3, (3, 2, 3, 3)).astype(np.float32)
    attrs = {"strides": [1, 1], "dilations": [1, 1], "group": 1}
    h = net.node(
        "Conv",
        [h, net.quant(net.const(w), 1.0, 3), net.const(np.float32([0.5, -1, 0]))],
        kernel_shape=[3, 3],
        pads=[1, 1, 1, 1],
        **attrs,
    )
    h = net.node("Relu", [_bn(net, h, 3)])
    h = net.quant(h, 0.5, 4, signed=False)
    h = net.node(
        "MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0], dilations=[1, 1]
    )
    h = net.quant(net.node("GlobalAveragePool", [h]), 0.25, 5, signed=False)
    h = net.node("Flatten", [h], axis=1)
    w2 = rng.integers(-3, 4, (3, 4)).astype(np.float32)
    return net.model(net.node("MatMul", [h, net.quant(net.const(w2), 1.0, 3)]))


def test_qonnx_channels_last_conversion_imports_exactly() -> None:
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
    from qonnx.transformation.infer_shapes import InferShapes

    model = _cnn_for_channels_last()
    wrapper = ModelWrapper(model).transform(InferShapes())
    converted = wrapper.transform(ConvertToChannelsLastAndClean(make_input_channels_last=False))
    domains = {(n.op_type, n.domain) for n in converted.graph.node}
    for op in ("Conv", "BatchNormalization", "MaxPool"):
        assert (op, "qonnx.custom_op.channels_last") in domains
    x = _x((1, 2, 6, 6))
    nn_out, hw_out = run_imported(converted.model, x)
    np.testing.assert_array_equal(nn_out, qonnx_execute(converted.model, x))
    np.testing.assert_array_equal(nn_out, qonnx_execute(model, x))
    np.testing.assert_array_equal(hw_out, nn_out)
    ops = [n.op for n in import_qonnx(converted.model).graph.nodes]
    assert ops == [n.op for n in import_qonnx(model).graph.nodes]  # no node for the layouts


def _classifier(*tail: str, opset: int = 13) -> onnx.ModelProto:
    net = Net((1, 6))
    h = net.quant("x", 0.5, 4)
    w = np.random.default_rng(3).integers(-3, 4, (6, 5)).astype(np.float32)
    h = net.node("MatMul", [h, net.quant(net.const(w * 0.25), 0.25, 3)])
    h = net.node("Add", [h, net.const(np.float32([0.5, 0, -0.25, 1, 0.125]))])
    for op in tail:
        h = net.node(op, [h], **({"axis": 1, "keepdims": 1} if op == "ArgMax" else {}))
    model = net.model(h, opset=opset)
    if tail[-1:] == ("ArgMax",):
        model.graph.output[0].type.tensor_type.elem_type = onnx.TensorProto.INT64
    return model


@pytest.mark.parametrize(
    "tail, opset",
    [(("Softmax",), 13), (("LogSoftmax",), 13), (("Softmax",), 11), (("Softmax", "ArgMax"), 13)],
)
def test_softmax_tail_on_the_host_matches_onnxruntime(tail: tuple[str, ...], opset: int) -> None:
    model = _classifier(*tail, opset=opset)
    imported = import_qonnx(model)
    assert imported.tail is not None
    x = _x((1, 6), 64)
    out, hw_out = run_imported(model, x)
    ref = qonnx_execute(model, x)
    if tail[-1] == "ArgMax":
        np.testing.assert_array_equal(out, ref)
    else:
        np.testing.assert_allclose(out, ref, rtol=2e-6, atol=2e-7)
    np.testing.assert_array_equal(hw_out, out)


def test_nothing_but_topk_follows_a_softmax() -> None:
    net = Net((1, 4))
    h = net.quant("x", 1.0, 4)
    h = net.node("Softmax", [net.node("MatMul", [h, net.const(np.eye(4, dtype=np.float32))])])
    model = net.model(net.node("Mul", [h, net.const(np.float32(2))], name="after"))
    with pytest.raises(
        FrontendError,
        match=r"^node 'after' \(Mul\): nothing may follow a Softmax \(the host applies it to the "
        r"graph's output\)$",
    ):
        import_qonnx(model)


@pytest.mark.parametrize("keepdims", [0, 1])
def test_reduce_mean_over_space_is_a_global_average(keepdims: int) -> None:
    net = Net((1, 3, 4, 5))
    h = net.quant("x", 0.5, 4, signed=False)
    h = net.node("ReduceMean", [h], axes=[2, 3], keepdims=keepdims)
    h = net.quant(h, 0.125, 6, signed=False)
    if keepdims:
        h = net.node("Flatten", [h], axis=1)
    w = np.random.default_rng(4).integers(-3, 4, (3, 2)).astype(np.float32)
    model = net.model(net.node("MatMul", [h, net.const(w)]))
    ops = [type(n.op) for n in import_qonnx(model).graph.nodes]
    assert ops[0] is GlobalSumPool and Flatten in ops
    _check(model, (1, 3, 4, 5))


def test_reduce_mean_over_channels_is_refused() -> None:
    net = Net((1, 3, 4, 5))
    h = net.quant("x", 0.5, 4, signed=False)
    model = net.model(net.node("ReduceMean", [h], name="rm", axes=[1], keepdims=1))
    with pytest.raises(
        FrontendError,
        match=r"^node 'rm' \(ReduceMean\): ReduceMean must reduce every spatial axis \[2, 3\] "
        r"with keepdims 0 or 1, not axes \[1\], keepdims 1$",
    ):
        import_qonnx(model)


@pytest.mark.parametrize(
    "op, domain, message",
    [
        (
            "FloatQuant",
            QONNX,
            "node 'op' (FloatQuant): op FloatQuant (float quantization) is not supported; "
            "supported QONNX ops: Quant, IntQuant, BipolarQuant, Trunc, MultiThreshold",
        ),
        (
            "FloatQuant",
            "onnx.brevitas",
            "node 'op' (FloatQuant): op FloatQuant (float quantization) is not supported; "
            "supported QONNX ops: Quant, IntQuant, BipolarQuant, Trunc, MultiThreshold",
        ),
        (
            "Relu",
            "qonnx.custom_op.channels_last",
            "node 'op' (Relu): op Relu is not supported in domain qonnx.custom_op.channels_last; "
            "supported there: Conv, MaxPool, BatchNormalization",
        ),
    ],
)
def test_unknown_qonnx_ops_are_named(op: str, domain: str, message: str) -> None:
    net = Net((1, 4))
    h = net.quant("x", 1.0, 4)
    model = net.model(net.node(op, [h, net.const(1.0)], domain, name="op"))
    with pytest.raises(FrontendError, match=f"^{re.escape(message)}$"):
        import_qonnx(model)


def test_float_quant_on_the_input_is_named_too() -> None:
    net = Net((1, 4))
    model = net.model(net.node("FloatQuant", ["x", net.const(1.0)], QONNX, name="fq"))
    with pytest.raises(FrontendError, match=r"^node 'fq' \(FloatQuant\): op FloatQuant \(float"):
        import_qonnx(model)


def test_a_reshape_that_mixes_axes_is_refused() -> None:
    net = Net((1, 2, 3, 4))
    h = net.quant("x", 1.0, 4)
    h = net.node("Transpose", [h], perm=[0, 2, 3, 1])
    model = net.model(net.node("Reshape", [h, net.const(np.int64([1, 3, 8]), np.int64)], name="r"))
    with pytest.raises(
        FrontendError,
        match=r"^node 'r' \(Reshape\): reshape must flatten \[1, C, \.\.\.\] to \[1, C\*\.\.\.\] "
        r"or only add or remove size-1 axes, not \[1, 3, 4, 2\] to \[1, 3, 8\]$",
    ):
        import_qonnx(model)


def test_host_transpose_moves_past_the_input_quantizer_only_when_right_before_it() -> None:
    net = Net((1, 2, 3, 4))
    h = net.node("Transpose", ["x"], perm=[0, 2, 3, 1])
    h = net.node("Mul", [net.quant(h, 0.5, 4), net.const(np.float32([1, 2]).reshape(1, 1, 1, 2))])
    h = net.node("Transpose", [h], perm=[0, 3, 1, 2])
    w = np.random.default_rng(5).integers(-2, 3, (3, 2, 2, 2)).astype(np.float32)
    _check(net.model(net.node("Conv", [h, net.const(w)], kernel_shape=[2, 2])), (1, 2, 3, 4))
    net = Net((1, 2, 3, 4))
    h = net.node("Transpose", ["x"], perm=[0, 2, 3, 1])
    h = net.node("Mul", [h, net.const(np.float32(2))])
    model = net.model(net.quant(h, 0.5, 4, name="q"))
    with pytest.raises(
        FrontendError,
        match=r"^node 'q' \(Quant\): a Transpose of the float input must come right before its "
        r"quantizer, with no other op between$",
    ):
        import_qonnx(model)


def test_brevitas_flatten_through_shape_gather_concat_reshape() -> None:
    net = Net((1, 2, 3, 3))
    h = net.quant("x", 0.5, 4)
    shape = net.node("Shape", [h])
    batch = net.node("Gather", [shape, net.const(np.int64(0), np.int64)], axis=0)
    batch = net.node("Unsqueeze", [batch], axes=[0])
    target = net.node("Concat", [batch, net.const(np.int64([-1]), np.int64)], axis=0)
    h = net.node("Reshape", [h, target])
    w = np.random.default_rng(6).integers(-2, 3, (18, 4)).astype(np.float32)
    model = net.model(net.node("MatMul", [h, net.const(w)]))
    assert any(isinstance(n.op, Flatten) for n in import_qonnx(model).graph.nodes)
    _check(model, (1, 2, 3, 3))
