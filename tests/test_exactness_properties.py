"""Property tests of the exactness chain on random QAT networks.

For each network: PyTorch eval forward (integer codes) == ``sim.exact`` on the exported nn graph
== ``sim.exact`` on the streamlined graph (thresholds, multiply-shift, automatic), and the
dequantized graph output equals PyTorch's float output bit for bit.

The networks are made non-trivial on purpose: weight codes span their whole type (both extreme
codes in every row), BatchNorm has random (some negative, one zero) gammas and perturbed running
statistics, learned scales are initialised by training-mode batches, and the inputs include
all-zero, all-one, saturating and exact rounding-tie values.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from streamfold.errors import IRError
from streamfold.frontend.torch import export, input_codes
from streamfold.ir import Conv, Graph, MatMul, Requantize
from streamfold.quant import QuantConv1d, QuantConv2d, QuantInput, QuantLinear, Requantizer
from streamfold.sim.exact import dequantize, run, run_single
from streamfold.transforms import Lowering, choose_lowering, streamline

BATCH = 256


class Kind(enum.Enum):
    MLP = "mlp"
    CONV1D = "conv1d"
    CONV2D = "conv2d"
    CONV2D_POOL_FIRST = "conv2d-pool-first"  # Conv, MaxPool, BatchNorm, Requantizer


@dataclass(frozen=True)
class Act:
    """A Requantizer / QuantInput type: ``bits`` 1..8; 1-bit signed is bipolar."""

    bits: int
    signed: bool = False
    narrow: bool = False


@dataclass(frozen=True)
class Net:
    weight_bits: int
    narrow: bool = False
    per_channel: bool = False
    bias: bool = True
    batchnorm: bool = True
    acts: tuple[Act, ...] = (Act(2),)
    final: Act | None = None  # a Requantizer after the last weight layer
    quant_input: Act = Act(8)
    input_scale: float | None = 1 / 255  # None: learned from the training batches
    multiplier_bits: int = 16
    kind: Kind = Kind.MLP
    seed: int = 0


W_BIPOLAR, W_TERNARY = {"weight_bits": 1}, {"weight_bits": 2, "narrow": True}
CASES = [
    # weight types
    pytest.param(Net(**W_BIPOLAR, acts=(Act(1, True), Act(1, True))), id="w-bipolar-a-bipolar"),
    pytest.param(Net(**W_TERNARY, acts=(Act(2, True, True), Act(2, True, True))), id="w-ternary"),
    pytest.param(Net(2, acts=(Act(2), Act(3))), id="w-i2"),
    pytest.param(Net(3, acts=(Act(3, True), Act(4, True))), id="w-i3"),
    pytest.param(Net(4, per_channel=True, acts=(Act(4), Act(8))), id="w-i4-per-channel"),
    pytest.param(Net(8, acts=(Act(8, True),), final=Act(8, True)), id="w-i8-a-i8"),
    pytest.param(Net(4, narrow=True, acts=(Act(4, True, True), Act(1))), id="w-i4n-a-i4n-u1"),
    # no BatchNorm, no bias, per-channel scales, the other requantizer types
    pytest.param(Net(2, batchnorm=False, acts=(Act(1), Act(2, True))), id="no-bn-u1-i2"),
    pytest.param(
        Net(3, batchnorm=False, bias=False, per_channel=True, acts=(Act(3), Act(8))),
        id="no-bn-no-bias-u3-u8",
    ),
    pytest.param(Net(**W_BIPOLAR, bias=False, acts=(Act(4, True),)), id="w-bipolar-no-bias-i4"),
    pytest.param(
        Net(**W_TERNARY, per_channel=True, acts=(Act(2), Act(1, True)), final=Act(3)),
        id="ternary-per-channel-final-u3",
    ),
    # input types
    pytest.param(Net(2, quant_input=Act(4), input_scale=None), id="in-u4-learned"),
    pytest.param(Net(**W_TERNARY, quant_input=Act(8, True), input_scale=None), id="in-i8"),
    pytest.param(Net(**W_BIPOLAR, quant_input=Act(1, True), input_scale=None), id="in-bipolar"),
    pytest.param(Net(3, quant_input=Act(1), input_scale=1.0), id="in-u1"),
    pytest.param(Net(2, quant_input=Act(3, True, True), input_scale=0.25), id="in-i3n"),
    # few multiplier bits: rounding ties inside the network are common
    pytest.param(Net(**W_TERNARY, acts=(Act(3), Act(4, True)), multiplier_bits=2), id="ties-mult2"),
    pytest.param(
        Net(4, batchnorm=False, acts=(Act(8), Act(4, True, True)), multiplier_bits=2),
        id="ties-mult2-no-bn",
    ),
    # convolutions
    pytest.param(Net(**W_TERNARY, kind=Kind.CONV2D, acts=(Act(2),)), id="conv2d"),
    pytest.param(
        Net(4, narrow=True, per_channel=True, kind=Kind.CONV1D, acts=(Act(3, True),)),
        id="conv1d",
    ),
    pytest.param(
        Net(3, kind=Kind.CONV2D, acts=(Act(4, True),), multiplier_bits=2), id="conv2d-i3-ties"
    ),
]
NETS: list[Net] = [p.values[0] for p in CASES]
IDS: list[str] = [str(p.id) for p in CASES]

# --- building a trained-looking network ------------------------------------------------------


def _weight_layers(model: nn.Sequential) -> list[QuantLinear | QuantConv1d | QuantConv2d]:
    return [m for m in model if isinstance(m, QuantLinear | QuantConv1d | QuantConv2d)]


def _layers(net: Net) -> list[nn.Module]:
    q = net.quant_input
    layers: list[nn.Module] = [QuantInput(q.bits, q.signed, q.narrow, scale=net.input_scale)]
    wkw: dict[str, Any] = {
        "bias": net.bias,
        "weight_bits": net.weight_bits,
        "narrow": net.narrow,
        "per_channel": net.per_channel,
    }

    def requant(a: Act) -> Requantizer:
        return Requantizer(a.bits, a.signed, a.narrow, multiplier_bits=net.multiplier_bits)

    if net.kind is Kind.MLP:
        width = 16
        for a in net.acts:
            layers.append(QuantLinear(width, 12, **wkw))
            layers += [nn.BatchNorm1d(12)] if net.batchnorm else []
            layers.append(requant(a))
            width = 12
        layers.append(QuantLinear(width, 6, **wkw))
    else:
        conv, bn, pool, flat = (
            (QuantConv2d(2, 4, 3, padding=1, **wkw), nn.BatchNorm2d(4), nn.MaxPool2d(2), 4 * 3 * 3)
            if net.kind is not Kind.CONV1D
            else (QuantConv1d(2, 4, 3, padding=1, **wkw), nn.BatchNorm1d(4), nn.MaxPool1d(2), 4 * 5)
        )
        norm = [bn] if net.batchnorm else []
        if net.kind is Kind.CONV2D_POOL_FIRST:
            layers += [conv, pool, *norm, requant(net.acts[0])]
        else:
            layers += [conv, *norm, requant(net.acts[0]), pool]
        layers += [nn.Flatten(), QuantLinear(flat, 6, **wkw)]
    if net.final is not None:
        layers.append(requant(net.final))
    return layers


def input_shape(net: Net) -> tuple[int, ...]:
    return (16,) if net.kind is Kind.MLP else (2, 10) if net.kind is Kind.CONV1D else (2, 6, 6)


def _spread_weights(layer: QuantLinear | QuantConv1d | QuantConv2d, gen: torch.Generator) -> None:
    """Weights whose codes cover the whole type, each row holding both extreme codes."""
    wq = layer.weight_quant
    wq.train()
    wq(layer.weight)  # initialises the weight scale (one batch), as training would
    s = wq.scale.value().reshape(-1, 1)
    t = wq.dtype
    rows = layer.weight.shape[0]
    codes = torch.rand(rows, layer.weight[0].numel(), generator=gen) * (t.max - t.min + 2)
    codes += t.min - 1
    codes[:, 0], codes[:, 1] = t.min - 0.7, t.max + 0.7
    layer.weight.copy_((codes * s).reshape(layer.weight.shape))


def _randomise_batchnorm(bn: nn.modules.batchnorm._BatchNorm, gen: torch.Generator) -> None:
    n = bn.num_features
    sign = torch.where(torch.rand(n, generator=gen) < 0.4, -1.0, 1.0)
    sign[0], sign[1] = -1.0, 0.0  # one negative gamma, one zero gamma in every layer
    bn.weight.copy_(sign * (0.5 + torch.rand(n, generator=gen)))
    bn.bias.copy_(0.5 * torch.randn(n, generator=gen))
    bn.momentum = None  # cumulative average: running stats match the calibration batches
    bn.reset_running_stats()


def _perturb_running_stats(bn: nn.modules.batchnorm._BatchNorm, gen: torch.Generator) -> None:
    n = bn.num_features
    assert bn.running_mean is not None and bn.running_var is not None
    std = bn.running_var.sqrt()
    bn.running_mean.add_(0.2 * std * torch.randn(n, generator=gen))
    bn.running_var.mul_(0.7 + 0.7 * torch.rand(n, generator=gen))


def real_inputs(net: Net, model: nn.Sequential, n: int, gen: torch.Generator) -> torch.Tensor:
    """Random reals over (and a little beyond) the input range, then the extremes and ties."""
    first = model[0]
    assert isinstance(first, QuantInput)
    s, t = float(first.scale.value()), first.dtype
    shape = input_shape(net)
    x = (t.min - 1 + torch.rand(n, *shape, generator=gen) * (t.max - t.min + 2)) * s
    k = torch.randint(t.min, t.max, (16, *shape), generator=gen).double()
    special = [
        torch.zeros(1, *shape),
        torch.ones(1, *shape),
        -torch.ones(1, *shape),
        torch.full((1, *shape), t.max * s),
        torch.full((1, *shape), t.min * s),
        torch.full((1, *shape), 1e6),
        torch.full((1, *shape), -1e6),
        ((k + 0.5) * s).float(),  # halfway between two codes (most exactly so in float32)
        (k * s).float(),  # on a code
        ((k.clamp(0, 254) + 0.5) / 255).float(),  # k/255 + 0.5/255: ties of scale 1/255
    ]
    return torch.cat([x.float(), *special]).contiguous()


@dataclass(frozen=True)
class Built:
    model: nn.Sequential
    graph: Graph  # exported, stage nn
    x: torch.Tensor
    codes: np.ndarray  # the graph input codes
    expected: np.ndarray  # model(x).exact.codes
    floats: np.ndarray  # model(x) as plain float32


def build_model(net: Net) -> nn.Sequential:
    torch.manual_seed(net.seed)
    gen = torch.Generator().manual_seed(net.seed + 1)
    model = nn.Sequential(*_layers(net))
    bns = [m for m in model if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for layer in _weight_layers(model):
            _spread_weights(layer, gen)
        for bn in bns:
            _randomise_batchnorm(bn, gen)
        model.train()
        for _ in range(5):  # initialises the activation scales and the BN statistics
            model(real_calibration(net, model, gen))
        for bn in bns:
            _perturb_running_stats(bn, gen)
    return model.eval()


def real_calibration(net: Net, model: nn.Sequential, gen: torch.Generator) -> torch.Tensor:
    first = model[0]
    assert isinstance(first, QuantInput)
    lo, hi = (-1.0, 1.0) if first.dtype.signed else (0.0, 1.0)
    return lo + (hi - lo) * torch.rand(64, *input_shape(net), generator=gen)


@functools.cache
def built(net: Net) -> Built:
    model = build_model(net)
    gen = torch.Generator().manual_seed(net.seed + 2)
    x = real_inputs(net, model, BATCH, gen)
    with torch.no_grad():
        y = model(x)
    return Built(
        model=model,
        graph=export(model, input_shape(net)),
        x=x,
        codes=input_codes(model, x.numpy()),
        expected=y.exact.codes.numpy(),
        floats=y.as_subclass(torch.Tensor).numpy(),
    )


def requantize_inputs(graph: Graph, codes: np.ndarray) -> list[tuple[Requantize, np.ndarray]]:
    """Each Requantize op with the integer values reaching it."""
    names = tuple(n.inputs[0] for n, _ in graph.ops_of(Requantize))
    values = run(Graph(graph.stage, graph.inputs, graph.nodes, names), codes)
    return [(op, values[n.inputs[0]]) for n, op in graph.ops_of(Requantize)]


def count_ties(op: Requantize, x: np.ndarray) -> int:
    """How many x * mul + add are exactly halfway between two integers."""
    ties = 0
    for c in range(x.shape[1]):
        m, a = op.mul[c % len(op.mul)], op.add[c % len(op.add)]
        ties += sum((int(v) * m + a) % 1 == Fraction(1, 2) for v in x[:, c].ravel())
    return ties


# --- the chain ---------------------------------------------------------------------------------


@pytest.mark.parametrize("net", NETS, ids=IDS)
def test_exported_graph_matches_model(net: Net) -> None:
    b = built(net)
    np.testing.assert_array_equal(run_single(b.graph, b.codes), b.expected)


@pytest.mark.parametrize("net", NETS, ids=IDS)
@pytest.mark.parametrize(
    "lowering",
    [Lowering.THRESHOLDS, Lowering.MULSHIFT, None],
    ids=["thresholds", "mulshift", "auto"],
)
def test_streamlined_graph_matches_model(net: Net, lowering: Lowering | None) -> None:
    b = built(net)
    hw = streamline(b.graph, lowering)
    assert hw.stage == "hw"
    assert not list(hw.ops_of(Requantize))
    np.testing.assert_array_equal(run_single(hw, b.codes), b.expected)


@pytest.mark.parametrize("net", NETS, ids=IDS)
def test_dequantized_outputs_equal_float_outputs(net: Net) -> None:
    b = built(net)
    codes = run_single(b.graph, b.codes)
    floats = dequantize(codes, b.graph.scale(b.graph.outputs[0])).astype(np.float32)
    assert floats.dtype == b.floats.dtype == np.float32
    np.testing.assert_array_equal(floats, b.floats)


# --- the tests above exercise what they claim to --------------------------------------------


@pytest.mark.parametrize("net", NETS, ids=IDS)
def test_networks_are_not_trivial(net: Net) -> None:
    """Inputs hit rounding ties; every requantizer sees many values and outputs several codes;
    BatchNorm really gives negative and zero multipliers."""
    b = built(net)
    first = b.model[0]
    assert isinstance(first, QuantInput)
    ratio = b.x / first.scale.value()
    assert int((ratio == ratio.floor() + 0.5).sum()) > 100
    for _, x in requantize_inputs(b.graph, b.codes):
        assert len(np.unique(x)) > 8
    outs = run(Graph("nn", b.graph.inputs, b.graph.nodes, _requantize_outputs(b.graph)), b.codes)
    for name, y in outs.items():
        levels = b.graph.value(name).dtype.levels
        assert len(np.unique(y)) >= min(levels, 3), name
    if net.batchnorm:  # the first requantizer follows a BatchNorm
        _, op = next(b.graph.ops_of(Requantize))
        assert min(op.mul) < 0 and 0 in op.mul
    assert len(np.unique(b.expected)) > 3


def test_threshold_lowering_widens_flipped_weights_in_some_cases() -> None:
    """Negative-gamma channels are negated for thresholds; a row holding i2's -2 (or i8's -128)
    then needs a wider weight type: some cases above take that path."""
    widened = []
    for net, name in zip(NETS, IDS, strict=True):
        nn_graph = built(net).graph
        hw = streamline(nn_graph, Lowering.THRESHOLDS)
        for node in hw.nodes:
            op, before = node.op, nn_graph.node(node.name).op
            if not isinstance(op, MatMul | Conv):
                continue
            assert isinstance(before, MatMul | Conv)
            if op.weight_dtype != before.weight_dtype:
                widened.append(name)
                assert op.weight_dtype.bits == before.weight_dtype.bits + 1
    assert {"w-i2", "w-i8-a-i8", "conv2d-i3-ties"} <= set(widened)


def _requantize_outputs(graph: Graph) -> tuple[str, ...]:
    return tuple(n.output.name for n, _ in graph.ops_of(Requantize))


TIE_CASES = [p for p in CASES if p.values[0].multiplier_bits == 2]


@pytest.mark.parametrize("net", [p.values[0] for p in TIE_CASES], ids=[p.id for p in TIE_CASES])
def test_rounding_ties_are_exercised(net: Net) -> None:
    """With 2-bit multipliers many requantizer inputs fall exactly halfway between two codes."""
    b = built(net)
    ties = sum(count_ties(op, x) for op, x in requantize_inputs(b.graph, b.codes))
    assert ties >= 10


def test_automatic_lowering_covers_both_lowerings() -> None:
    """The ``auto`` cases use both lowerings: thresholds up to 16 levels, else multiply-shift."""
    chosen = set()
    for net in NETS:
        graph = built(net).graph
        for node, _ in graph.ops_of(Requantize):
            expected = Lowering.THRESHOLDS if node.output.dtype.levels <= 16 else Lowering.MULSHIFT
            assert choose_lowering(graph, node) is expected
            chosen.add(expected)
    assert chosen == {Lowering.THRESHOLDS, Lowering.MULSHIFT}


# --- random configurations ---------------------------------------------------------------------

ACTS = st.builds(Act, st.sampled_from([1, 2, 3, 4, 8]), st.booleans(), st.booleans())
NET_CONFIGS = st.builds(
    Net,
    weight_bits=st.sampled_from([1, 2, 3, 4, 8]),
    narrow=st.booleans(),
    per_channel=st.booleans(),
    bias=st.booleans(),
    batchnorm=st.booleans(),
    acts=st.lists(ACTS, min_size=1, max_size=2).map(tuple),
    final=st.none() | ACTS,
    quant_input=ACTS,
    input_scale=st.sampled_from([None, 1 / 255, 0.5]),
    multiplier_bits=st.sampled_from([3, 8, 16]),
    seed=st.integers(0, 1000),
)


@settings(derandomize=True, max_examples=25, deadline=None)
@given(net=NET_CONFIGS)
def test_random_networks_are_exact(net: Net) -> None:
    b = built(net)
    np.testing.assert_array_equal(run_single(b.graph, b.codes), b.expected)
    for lowering in (Lowering.THRESHOLDS, Lowering.MULSHIFT, None):
        hw = streamline(b.graph, lowering)
        codes = run_single(hw, b.codes)
        np.testing.assert_array_equal(codes, b.expected)
        floats = dequantize(codes, hw.scale(hw.outputs[0])).astype(np.float32)
        np.testing.assert_array_equal(floats, b.floats)


# --- known limitations of src, pinned -----------------------------------------------------------

POOL_FIRST = Net(3, kind=Kind.CONV2D_POOL_FIRST, acts=(Act(2),))


def test_maxpool_before_batchnorm_is_exact_through_mulshift() -> None:
    b = built(POOL_FIRST)
    np.testing.assert_array_equal(run_single(b.graph, b.codes), b.expected)
    hw = streamline(b.graph, Lowering.MULSHIFT)
    np.testing.assert_array_equal(run_single(hw, b.codes), b.expected)
    floats = dequantize(run_single(hw, b.codes), hw.scale(hw.outputs[0])).astype(np.float32)
    np.testing.assert_array_equal(floats, b.floats)


def test_maxpool_before_negative_batchnorm_cannot_lower_to_thresholds() -> None:
    """A negative gamma after MaxPool cannot be moved into the Conv weights (max is not -max)."""
    with pytest.raises(IRError, match=r"^node requantizer4: thresholds need ascending channels; "):
        streamline(built(POOL_FIRST).graph, Lowering.THRESHOLDS)


def test_maxpool_before_negative_batchnorm_streamlines_automatically() -> None:
    b = built(POOL_FIRST)
    np.testing.assert_array_equal(run_single(streamline(b.graph), b.codes), b.expected)


def test_float64_inputs_quantize_as_input_codes_does() -> None:
    b = built(NETS[0])
    k = np.random.default_rng(0).integers(0, 255, size=(64, *input_shape(NETS[0])))
    x = (k + 0.5) / 255  # float64, as NumPy makes it
    with torch.no_grad():
        y = b.model(torch.from_numpy(x))
    np.testing.assert_array_equal(
        run_single(b.graph, input_codes(b.model, x)), y.exact.codes.numpy()
    )
