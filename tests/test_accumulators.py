"""Accumulator types are safe and tight: adversarial inputs reach, and never pass, their bounds.

For a MatMul or Conv, output channel ``o`` is largest for the input taking the input type's
maximum where ``w[o] > 0`` and its minimum elsewhere, and smallest for the reverse. Feeding
exactly those vectors (and random vectors of extremes) through the executor with type checks on
must stay inside the type ``infer_types`` chose, and must reach the per-channel bounds computed
here independently, so that the chosen type is the narrowest one that holds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from streamfold.frontend.torch import export
from streamfold.ir import (
    BIPOLAR,
    Conv,
    Graph,
    IntArray,
    IntType,
    MatMul,
    Node,
    Value,
    narrowest,
    verify,
)
from streamfold.quant import QuantConv2d, QuantInput, QuantLinear, Requantizer
from streamfold.sim.exact import run
from streamfold.transforms import Lowering, infer_types, streamline

ACC = IntType(64, True)  # placeholder: infer_types computes the accumulator type

u1, u2, u4, u8 = (IntType(b, False) for b in (1, 2, 4, 8))
i2, i3, i4, i8 = (IntType(b, True) for b in (2, 3, 4, 8))
i2n, i4n = IntType(2, True, narrow=True), IntType(4, True, narrow=True)

WEIGHT_TYPES = [BIPOLAR, i2n, i2, i3, i4, i4n, i8, u2]
INPUT_TYPES = [u1, u4, u8, i4, i8, BIPOLAR, i2n]


def _ids(types: list[IntType]) -> list[str]:
    return [str(t) for t in types]


def values_of(t: IntType) -> np.ndarray:
    return np.array([t.value_of_level(k) for k in range(t.levels)], dtype=np.int64)


def random_weights(rng: np.random.Generator, t: IntType, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform over the type's values; channel 0 all max, channel 1 all min (one-sided sums)."""
    w = rng.choice(values_of(t), size=shape)
    w[0], w[1] = t.max, t.min
    return w


# --- the adversary -----------------------------------------------------------------------------


def channel_bounds(weight: np.ndarray, x: IntType) -> tuple[list[int], list[int]]:
    """Per output channel, the exact min and max of ``w[o] . x`` over x in the type."""
    lo, hi = [], []
    for row in weight.reshape(weight.shape[0], -1).tolist():
        lo.append(sum(min(w * x.min, w * x.max) for w in row))
        hi.append(sum(max(w * x.min, w * x.max) for w in row))
    return lo, hi


def maximising(row: np.ndarray, x: IntType) -> np.ndarray:
    return np.where(row > 0, x.max, x.min)


def minimising(row: np.ndarray, x: IntType) -> np.ndarray:
    return np.where(row > 0, x.min, x.max)


@dataclass(frozen=True)
class Adversary:
    """Input batch, and where each channel's extreme must appear: (sample, output index, value)."""

    inputs: np.ndarray
    reached: list[tuple[int, tuple[int, ...], int]]


def matmul_adversary(weight: np.ndarray, x: IntType, rng: np.random.Generator) -> Adversary:
    lo, hi = channel_bounds(weight, x)
    rows, reached = [], []
    for o, row in enumerate(weight):
        reached += [(len(rows), (o,), hi[o]), (len(rows) + 1, (o,), lo[o])]
        rows += [maximising(row, x), minimising(row, x)]
    extremes = rng.choice([x.min, x.max], size=(200, weight.shape[1]))
    return Adversary(np.concatenate([np.array(rows), extremes]).astype(np.int64), reached)


def interior_position(size: int, kernel: int, stride: int, pad: int) -> int:
    """The first output position whose window lies wholly inside the unpadded input."""
    return next(
        i for i in range(size) if i * stride - pad >= 0 and i * stride - pad + kernel <= size
    )


def conv_adversary(op: Conv, x: Value, rng: np.random.Generator) -> Adversary:
    """Each channel's extreme pattern placed in an interior window; the rest random extremes."""
    w, t = op.weight.array, x.dtype
    lo, hi = channel_bounds(w, t)
    kernel, spatial = w.shape[2:], x.shape[1:]
    pos = tuple(
        interior_position(s, k, st, p)
        for s, k, st, p in zip(spatial, kernel, op.stride, op.padding, strict=True)
    )
    window = (
        slice(None),
        *(
            slice(i * st - p, i * st - p + k)
            for i, k, st, p in zip(pos, kernel, op.stride, op.padding, strict=True)
        ),
    )
    images, reached = [], []
    for o, row in enumerate(w):
        for pattern, bound in ((maximising(row, t), hi[o]), (minimising(row, t), lo[o])):
            image = rng.choice([t.min, t.max], size=x.shape)
            image[window] = pattern
            reached.append((len(images), (o, *pos), bound))
            images.append(image)
    extremes = rng.choice([t.min, t.max], size=(100, *x.shape))
    return Adversary(np.concatenate([np.array(images), extremes]).astype(np.int64), reached)


def adversary(node: Node, x: Value, rng: np.random.Generator) -> Adversary:
    if isinstance(node.op, MatMul):
        return matmul_adversary(node.op.weight.array, x.dtype, rng)
    assert isinstance(node.op, Conv)
    return conv_adversary(node.op, x, rng)


def check_tight(node: Node, x: Value, rng: np.random.Generator) -> np.ndarray:
    """Run the adversary through ``node`` alone (types checked) and assert the type is tight."""
    sub = Graph("nn", (x,), (node,), (node.output.name,))
    adv = adversary(node, x, rng)
    out = run(sub, adv.inputs, check_types=True)[node.output.name]
    t = node.output.dtype
    assert t.min <= out.min() and out.max() <= t.max
    for sample, index, bound in adv.reached:
        assert out[(sample, *index)] == bound, (node.name, index)
    assert isinstance(node.op, MatMul | Conv)
    lo, hi = channel_bounds(node.op.weight.array, x.dtype)
    assert (int(out.min()), int(out.max())) == (min(lo), max(hi))
    assert narrowest(int(out.min()), int(out.max())) == t
    return out


# --- single layers -----------------------------------------------------------------------------


def matmul_node(weight: np.ndarray, w: IntType, x: IntType) -> tuple[Node, Value]:
    xv = Value("x", x, (weight.shape[1],))
    node = Node("mm", MatMul(IntArray(weight), w), ("x",), Value("mm", ACC, (weight.shape[0],)))
    g = verify(infer_types(Graph("nn", (xv,), (node,), ("mm",))), "nn")
    return g.node("mm"), xv


@pytest.mark.parametrize("x", INPUT_TYPES, ids=_ids(INPUT_TYPES))
@pytest.mark.parametrize("w", WEIGHT_TYPES, ids=_ids(WEIGHT_TYPES))
def test_matmul_accumulator_is_safe_and_tight(
    rng: np.random.Generator, w: IntType, x: IntType
) -> None:
    weight = random_weights(rng, w, (6, 20))
    node, xv = matmul_node(weight, w, x)
    check_tight(node, xv, rng)


@pytest.mark.parametrize(
    ("w", "x", "expected"),
    [  # 20 weights, all the weight type's most negative (unsigned: largest) value
        pytest.param(u2, u8, IntType(14, False), id="3x255x20=15300-u14"),
        pytest.param(i8, i8, IntType(20, True), id="-128x-128x20=327680-i20"),
        pytest.param(BIPOLAR, BIPOLAR, IntType(6, True), id="plus-minus-20-i6"),
        pytest.param(i2n, u1, IntType(6, True), id="minus-20-to-0-i6"),
    ],
)
def test_accumulator_types_of_constant_rows(
    rng: np.random.Generator, w: IntType, x: IntType, expected: IntType
) -> None:
    """Hand-computed accumulator types."""
    weight = np.full((2, 20), w.min if w.signed else w.max)
    node, xv = matmul_node(weight, w, x)
    assert node.output.dtype == expected
    check_tight(node, xv, rng)


def test_all_zero_weights_give_a_one_bit_accumulator(rng: np.random.Generator) -> None:
    zeros = np.zeros((3, 8), dtype=np.int64)
    node, xv = matmul_node(zeros, i4, i8)
    assert node.output.dtype == u1
    out = run(Graph("nn", (xv,), (node,), ("mm",)), matmul_adversary(zeros, i8, rng).inputs)
    np.testing.assert_array_equal(out["mm"], 0)


CONVS = [  # x type, weight type, input shape, kernel, stride, padding
    pytest.param(BIPOLAR, i3, (3, 5, 5), (3, 3), (1, 1), (1, 1), id="bipolar-in-padded"),
    pytest.param(BIPOLAR, BIPOLAR, (2, 6, 6), (3, 3), (2, 2), (1, 1), id="bipolar-strided-padded"),
    pytest.param(u8, i2n, (2, 5, 5), (3, 3), (1, 1), (1, 1), id="u8-ternary-padded"),
    pytest.param(i4, i4, (2, 6, 5), (3, 2), (1, 2), (2, 1), id="i4-asymmetric-padding"),
    pytest.param(u1, i8, (3, 4, 4), (3, 3), (1, 1), (0, 0), id="u1-unpadded"),
    pytest.param(BIPOLAR, i2, (2, 9), (3,), (1,), (1,), id="conv1d-bipolar-padded"),
    pytest.param(i8, u2, (2, 7), (4,), (2,), (2,), id="conv1d-i8-unsigned-weights"),
]


@pytest.mark.parametrize(("x", "w", "shape", "kernel", "stride", "padding"), CONVS)
def test_conv_accumulator_is_safe_and_tight(
    rng: np.random.Generator,
    x: IntType,
    w: IntType,
    shape: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
) -> None:
    """Zero padding feeds 0 into border windows (not a bipolar value): still inside the type."""
    weight = random_weights(rng, w, (4, shape[0], *kernel))
    conv = Conv(IntArray(weight), w, stride, padding)
    xv = Value("x", x, shape)
    out_shape = (
        4,
        *(
            (s + 2 * p - k) // st + 1
            for s, k, st, p in zip(shape[1:], kernel, stride, padding, strict=True)
        ),
    )
    node = Node("conv", conv, ("x",), Value("conv", ACC, out_shape))
    g = verify(infer_types(Graph("nn", (xv,), (node,), ("conv",))), "nn")
    out = check_tight(g.node("conv"), xv, rng)
    if any(padding):  # border windows really saw padding: compare with a zero-padded reference
        adv = conv_adversary(conv, xv, np.random.default_rng(1))
        got = run(Graph("nn", (xv,), (g.node("conv"),), ("conv",)), adv.inputs)["conv"]
        np.testing.assert_array_equal(got, reference_conv(adv.inputs, weight, stride, padding))
    assert out.shape[1:] == out_shape


def reference_conv(
    x: np.ndarray, w: np.ndarray, stride: tuple[int, ...], padding: tuple[int, ...]
) -> np.ndarray:
    """PyTorch's cross-correlation with zero padding, in float64 (exact for these sizes)."""
    t = torch.from_numpy(x).double()
    k = torch.from_numpy(w).double()
    conv = torch.nn.functional.conv2d if w.ndim == 4 else torch.nn.functional.conv1d
    return conv(t, k, stride=stride, padding=padding).round().to(torch.int64).numpy()


# --- layer by layer through exported networks --------------------------------------------------


def _spread_weights(model: nn.Sequential, gen: torch.Generator) -> None:
    """Weight codes over their whole type (like a trained network's saturated weights)."""
    for layer in model:
        if isinstance(layer, QuantLinear | QuantConv2d):
            wq = layer.weight_quant
            wq.train()
            wq(layer.weight)
            t, s = wq.dtype, wq.scale.value().reshape(-1, *(1,) * (layer.weight.dim() - 1))
            codes = t.min - 1 + torch.rand(layer.weight.shape, generator=gen) * (t.max - t.min + 2)
            layer.weight.copy_(codes * s)


def _mlp() -> nn.Sequential:
    return nn.Sequential(
        QuantInput(8, scale=1 / 255),
        QuantLinear(16, 12, weight_bits=3),
        nn.BatchNorm1d(12),
        Requantizer(2, signed=True),
        QuantLinear(12, 12, weight_bits=1),
        Requantizer(1, signed=True),
        QuantLinear(12, 8, weight_bits=2, narrow=True),
        Requantizer(4, signed=True, narrow=True),
        QuantLinear(8, 4, weight_bits=8, per_channel=True),
    )


def _cnn() -> nn.Sequential:
    return nn.Sequential(
        QuantInput(1, signed=True),
        QuantConv2d(2, 4, 3, padding=1, weight_bits=2, narrow=True),
        nn.BatchNorm2d(4),
        Requantizer(3),
        nn.MaxPool2d(2),
        QuantConv2d(4, 4, 2, stride=1, padding=1, weight_bits=4),
        Requantizer(1, signed=True),
        nn.Flatten(),
        QuantLinear(4 * 4 * 4, 5, weight_bits=2),
    )


NETWORKS = [
    pytest.param(_mlp, (16,), id="mlp"),
    pytest.param(_cnn, (2, 6, 6), id="cnn-bipolar-input"),
]


def _exported(make: Callable[[], nn.Sequential], shape: tuple[int, ...]) -> Graph:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    model = make()
    with torch.no_grad():
        _spread_weights(model, gen)
        for bn in model:
            if isinstance(bn, nn.modules.batchnorm._BatchNorm):
                bn.weight.copy_(torch.where(torch.arange(bn.num_features) % 2 == 0, -1.0, 1.0))
        model.train()
        for _ in range(4):
            model(torch.rand(32, *shape, generator=gen) * 2 - 1)
    return export(model.eval(), shape)


@pytest.mark.parametrize(("make", "shape"), NETWORKS)
@pytest.mark.parametrize(
    "lowering",
    [None, Lowering.MULSHIFT, Lowering.THRESHOLDS],
    ids=["nn", "hw-mulshift", "hw-thresholds"],
)
def test_exported_accumulators_are_safe_and_tight_layer_by_layer(
    rng: np.random.Generator,
    make: Callable[[], nn.Sequential],
    shape: tuple[int, ...],
    lowering: Lowering | None,
) -> None:
    """Each MatMul/Conv alone, fed adversarial codes of its actual input type.

    Lowering to thresholds negates the weights of negative-gamma channels (widening the weight
    type where needed) and re-infers the accumulator types: those must be tight too.
    """
    nn_graph = _exported(make, shape)
    graph = nn_graph if lowering is None else streamline(nn_graph, lowering)
    layers = [n for n in graph.nodes if isinstance(n.op, MatMul | Conv)]
    assert len(layers) >= 3
    for node in layers:
        check_tight(node, graph.value(node.inputs[0]), rng)
    if lowering is Lowering.THRESHOLDS:  # the first layer's weights really were negated
        first = layers[0].op
        before = nn_graph.node(layers[0].name).op
        assert isinstance(first, MatMul | Conv) and isinstance(before, MatMul | Conv)
        assert first.weight != before.weight
