"""Convolutional networks through export and lowering: PyTorch eval == nn graph == kernel graph,
bit for bit, and every kernel's block model equals its IR meaning in stream order.

Covers 1-D and 2-D convolutions, stride 2, padding, non-square maps, kernel 1, max pooling,
global average pooling, and the conv-to-FC transition with spatial size > 1 (Flatten removed,
weight columns permuted to channels-last). Unsupported settings raise errors naming the layer.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from cnn_nets import calibrated, conv1d_net, conv2d_net, gap2d_net
from streamfold.errors import FrontendError, IRError, QuantError
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.hw.registry import BLOCKS, block_of
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.ir.graph import Graph, Node, Value
from streamfold.ir.ops import (
    Flatten,
    GlobalSumPool,
    IntArray,
    MaxPool,
    Mvau,
    Pad,
    SlidingWindow,
    Thresholding,
)
from streamfold.quant import QuantConv1d, QuantConv2d, QuantInput, Requantizer
from streamfold.sim.exact import run_single
from streamfold.sim.stream import from_stream_order, to_stream_order
from streamfold.transforms.infer_types import infer_types

CASES = [
    pytest.param(lambda: conv2d_net(2, 1, 1), (2, 11, 14), id="2d-u2-pad1"),
    pytest.param(lambda: conv2d_net(2, 0, 2), (2, 11, 14), id="2d-u2-stride2"),
    pytest.param(lambda: conv2d_net(1, 1, 2), (2, 11, 14), id="2d-bipolar-pad-first"),
    pytest.param(conv1d_net, (1, 40), id="1d-kernel1-pool-gap"),
    pytest.param(gap2d_net, (3, 9, 7), id="2d-kernel1-gap"),
]


@pytest.mark.parametrize(("make", "shape"), CASES)
def test_torch_nn_and_kernel_graphs_agree(make, shape):  # type: ignore[no-untyped-def]
    model = make()
    x = calibrated(model, shape, seed=1)
    with torch.no_grad():
        y = model(x)
    graph = export(model, shape)
    kernels = to_kernels(graph)
    codes = input_codes(model, x.numpy())
    expected = y.exact.codes.numpy()
    assert np.array_equal(run_single(graph, codes), expected)
    assert np.array_equal(run_single(kernels, codes), expected)
    kinds = {type(n.op) for n in kernels.nodes}
    assert Flatten not in kinds and SlidingWindow in kinds
    assert all(type(n.op) in BLOCKS for n in kernels.nodes)
    assert kernels.outputs == graph.outputs
    assert kernels.value(kernels.outputs[0]).shape == graph.value(graph.outputs[0]).shape


def test_padding_becomes_a_pad_node_and_weights_go_channels_last():
    model = conv2d_net(2, 1, 1)
    calibrated(model, (2, 11, 14), seed=2)
    kernels = to_kernels(export(model, (2, 11, 14)))
    pads = [n for n in kernels.nodes if isinstance(n.op, Pad)]
    assert [p.op.pads for p in pads] == [(1, 1, 1, 1)]
    conv = model[1]
    mvau = kernels.nodes[2].op
    assert isinstance(mvau, Mvau) and mvau.per_pixel
    w = conv.weight_quant.codes(conv.weight.detach()).numpy()  # [out, in, kh, kw]
    assert np.array_equal(mvau.weight.array, w.transpose(0, 2, 3, 1).reshape(4, -1))


# --------------------------------------------------------------------- block model == IR meaning
def _single(op, x: Value) -> Graph:  # type: ignore[no-untyped-def]
    from streamfold.ir.shapes import output_shape

    out = Value("y", x.dtype, output_shape(op, x.shape))
    return infer_types(Graph("hw", (x,), (Node("k", op, ("x",), out),), ("y",), ()))


def _random(dtype: IntType, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    if dtype.bipolar:
        return rng.choice([-1, 1], size=shape)
    return rng.integers(dtype.min, dtype.max + 1, size=shape)


KERNELS = [
    pytest.param(SlidingWindow((3, 2), (2, 1)), IntType(3, False), (4, 9, 7), id="swg-2d"),
    pytest.param(SlidingWindow((5,), (3,)), IntType(4, True), (3, 23), id="swg-1d-stride3"),
    pytest.param(SlidingWindow((1, 1), (1, 1)), BIPOLAR, (6, 3, 5), id="swg-kernel1"),
    pytest.param(Pad((1, 2, 0, 3), 0), IntType(2, False), (3, 4, 5), id="pad-2d"),
    pytest.param(Pad((2, 1), -1), BIPOLAR, (5, 7), id="pad-1d-bipolar"),
    pytest.param(MaxPool((2, 3), (2, 3)), IntType(4, True), (4, 6, 9), id="maxpool-2d"),
    pytest.param(MaxPool((3,), (2,)), BIPOLAR, (8, 11), id="maxpool-1d-overlap"),
    pytest.param(GlobalSumPool(), IntType(2, False), (6, 5, 3), id="globalpool-2d"),
    pytest.param(GlobalSumPool(), BIPOLAR, (4, 9), id="globalpool-1d-bipolar"),
]


@pytest.mark.parametrize(("op", "dtype", "shape"), KERNELS)
def test_block_model_is_the_ir_meaning_in_stream_order(op, dtype, shape, rng):  # type: ignore[no-untyped-def]
    graph = _single(op, Value("x", dtype, shape))
    node = graph.nodes[0]
    block = block_of(node)
    params = block.params(graph, node)
    x = _random(dtype, (3, *shape), rng)
    expected = run_single(graph, x).reshape(3, -1)
    got = block.model(params, to_stream_order(x, shape))
    assert np.array_equal(from_stream_order(got, node.output.shape), expected)


@pytest.mark.parametrize("per_pixel", [True, False])
def test_mvau_and_thresholding_models_on_feature_maps(per_pixel, rng):  # type: ignore[no-untyped-def]
    shape = (6, 3, 4)
    x = Value("x", IntType(3, False), shape)
    inputs = 6 if per_pixel else 72
    w = IntArray(rng.integers(-3, 4, size=(5, inputs)))
    graph = _single(Mvau(w, IntType(3, True), None, per_pixel), x)
    frames = _random(x.dtype, (4, *shape), rng)
    for g in (graph, _single(Thresholding(IntArray(np.array([[1, 3, 6]]))), x)):
        node = g.nodes[0]
        block = block_of(node)
        got = block.model(block.params(g, node), to_stream_order(frames, shape))
        expected = run_single(g, frames).reshape(4, -1)
        assert np.array_equal(from_stream_order(got, node.output.shape), expected)


# ------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: QuantConv2d(4, 6, 3, groups=3, weight_bits=2),
            r"^QuantConv2d\(4, 6\): groups must be a positive integer dividing in_channels and "
            r"out_channels, not 3$",
        ),
        (
            lambda: QuantConv1d(4, 8, 3, groups=0, weight_bits=2),
            r"^QuantConv1d\(4, 8\): groups must be a positive integer dividing",
        ),
        (
            lambda: QuantConv2d(4, 4, 3, dilation=2, weight_bits=2),
            r"^QuantConv2d\(4, 4\): dilation must be 1, not 2$",
        ),
    ],
)
def test_unsupported_convolutions_are_refused_when_built(make, message):  # type: ignore[no-untyped-def]
    with pytest.raises(QuantError, match=message):
        make()


@pytest.mark.parametrize(
    ("attr", "value", "message"),
    [
        (
            "groups",
            2,
            r"^layer 1 \(QuantConv2d\): groups must be 1 for weights \[4, 4, 3, 3\] and "
            r"in_channels=4, not 2$",
        ),
        ("dilation", (2, 1), r"^layer 1 \(QuantConv2d\): dilation must be 1, not \(2, 1\)$"),
        ("padding_mode", "circular", r"^layer 1 \(QuantConv2d\): padding_mode must be 'zeros'"),
    ],
)
def test_export_refuses_unsupported_convolutions_naming_the_layer(attr, value, message):  # type: ignore[no-untyped-def]
    layer = QuantConv2d(4, 4, 3, weight_bits=2)
    setattr(layer, attr, value)  # changed after construction: the exporter still checks
    model = nn.Sequential(QuantInput(4, scale=1 / 15), layer)
    with pytest.raises(FrontendError, match=message):
        export(model, (4, 8, 8))


def test_zero_padding_a_bipolar_input_is_refused_naming_the_node():
    model = nn.Sequential(
        QuantInput(4, scale=1 / 15),
        QuantConv2d(2, 4, 3, bias=False, weight_bits=1),
        nn.BatchNorm2d(4),
        Requantizer(1, signed=True),
        QuantConv2d(4, 4, 3, padding=1, bias=False, weight_bits=1),
    )
    calibrated(model, (2, 8, 8), seed=3)
    graph = export(model, (2, 8, 8))
    with pytest.raises(IRError, match=r"^node quantconv2d4 \(Conv\): padding=\(1, 1\) pads"):
        to_kernels(graph)


def test_global_average_pool_needs_output_size_one():
    model = nn.Sequential(QuantInput(4, scale=1 / 15), nn.AdaptiveAvgPool2d(2))
    with pytest.raises(FrontendError, match=r"^layer 1 \(AdaptiveAvgPool2d\): output_size must"):
        export(model, (2, 8, 8))


def test_flatten_must_feed_a_fully_connected_layer():
    model = nn.Sequential(
        QuantInput(4, scale=1 / 15),
        QuantConv2d(2, 4, 3, bias=False, weight_bits=2),
        nn.BatchNorm2d(4),
        Requantizer(2, signed=False),
        nn.Flatten(),
    )
    calibrated(model, (2, 6, 6), seed=4)
    with pytest.raises(IRError, match=r"^node flatten4 \(Flatten\): must feed a fully connected"):
        to_kernels(export(model, (2, 6, 6)))
