"""L1: passes as before / expected IR text, and streamline's behaviour on seeded random inputs."""

from fractions import Fraction

import numpy as np
import pytest

from streamfold.errors import IRError
from streamfold.ir import (
    BIPOLAR,
    Conv,
    Flatten,
    Graph,
    IntArray,
    IntType,
    MatMul,
    MaxPool,
    MulShift,
    MultiThreshold,
    Node,
    Requantize,
    Scale,
    Value,
    parse_graph,
    print_graph,
    verify,
)
from streamfold.sim.exact import run_single
from streamfold.transforms import (
    Lowering,
    infer_types,
    lower_to_mulshift,
    lower_to_thresholds,
    streamline,
)


def _all_inputs(t: IntType, features: int) -> np.ndarray:
    """Every input vector of ``features`` entries of type ``t`` (exhaustive, tiny graphs only)."""
    values = np.arange(t.min, t.max + 1)
    grid = np.meshgrid(*([values] * features), indexing="ij")
    return np.stack([g.ravel() for g in grid], axis=1)


# --- infer_types ------------------------------------------------------------------------------


def test_infer_types_matmul_gets_narrowest_type():
    # u4 (0..15) through rows (1, -2, 3) and (0, 1, -1): [-30, 60] overall, so i7 (-64..63).
    before = """\
graph nn
input x: u4[3]
node fc: MatMul(x) -> fc: i32[2]
  weight = [2, 3] 1 -2 3 0 1 -1
  weight_dtype = i3
node act: Requantize(fc) -> act: u2[2]
  mul = [1/3, 1/2]
  add = [1/2]
output act
"""
    expected = before.replace("fc: i32[2]", "fc: i7[2]")
    assert print_graph(infer_types(parse_graph(before))) == expected


def test_infer_types_conv_chain_passes_types_through_pool_and_flatten():
    # conv, x in [-2, 1]: rows (3, -1) and (-2, -2) reach [-7, 5] and [-4, 8]: [-7, 8] is i5.
    # pool and flatten keep i5; fc rows (1, -1) over [-16, 15] reach [-31, 31]: i6.
    # thr keeps its declared u1.
    before = """\
graph nn
input x: i2[1, 4]
node conv: Conv(x) -> conv: i32[2, 3]
  weight = [2, 1, 2] 3 -1 -2 -2
  weight_dtype = i3
  stride = (1)
  padding = (0)
node pool: MaxPool(conv) -> pool: i32[2, 1]
  kernel_size = (3)
  stride = (3)
node flat: Flatten(pool) -> flat: i32[2]
node fc: MatMul(flat) -> fc: i32[1]
  weight = [1, 2] 1 -1
  weight_dtype = i2
node thr: MultiThreshold(fc) -> thr: u1[1]
  thresholds = [1, 1] 0
output thr
"""
    expected = """\
graph nn
input x: i2[1, 4]
node conv: Conv(x) -> conv: i5[2, 3]
  weight = [2, 1, 2] 3 -1 -2 -2
  weight_dtype = i3
  stride = (1)
  padding = (0)
node pool: MaxPool(conv) -> pool: i5[2, 1]
  kernel_size = (3)
  stride = (3)
node flat: Flatten(pool) -> flat: i5[2]
node fc: MatMul(flat) -> fc: i6[1]
  weight = [1, 2] 1 -1
  weight_dtype = i2
node thr: MultiThreshold(fc) -> thr: u1[1]
  thresholds = [1, 1] 0
output thr
"""
    after = infer_types(parse_graph(before))
    assert print_graph(after) == expected
    assert verify(after) is after


def test_infer_types_rejects_undefined_input():
    g = parse_graph("graph nn\ninput x: u4[1]\nnode f: Flatten(y) -> f: u4[1]\noutput f\n")
    with pytest.raises(IRError, match=r"^node f: input 'y' must be defined before use$"):
        infer_types(g)


# --- lower_to_thresholds ----------------------------------------------------------------------

REQUANTIZE_INPUT = """\
graph nn
input x: i4[2]
node act: Requantize(x) -> act: u2[2]
  mul = [1/3, 1/2]
  add = [1/2, 0]
output act
"""


def test_lower_to_thresholds_per_channel():
    # Round half to even reaches an odd level L when v > L - 1/2, an even one when v >= L - 1/2.
    # channel 0, v = x/3 + 1/2: L=1 at x > 0, L=2 at x >= 3, L=3 at x > 6: (1, 3, 7).
    # channel 1, v = x/2:       L=1 at x > 1, L=2 at x >= 3, L=3 at x > 5: (2, 3, 6).
    expected = """\
graph nn
input x: i4[2]
node act: MultiThreshold(x) -> act: u2[2]
  thresholds = [2, 3] 1 3 7 2 3 6
output act
"""
    before = parse_graph(REQUANTIZE_INPUT)
    after = lower_to_thresholds(before)
    assert print_graph(after) == expected
    x = _all_inputs(IntType(4, True), 2)
    np.testing.assert_array_equal(run_single(after, x), run_single(before, x))


def test_lower_to_thresholds_per_tensor_gives_one_row():
    before = REQUANTIZE_INPUT.replace("[1/3, 1/2]", "[1/3]").replace("[1/2, 0]", "[1/2]")
    expected = """\
graph nn
input x: i4[2]
node act: MultiThreshold(x) -> act: u2[2]
  thresholds = [1, 3] 1 3 7
output act
"""
    assert print_graph(lower_to_thresholds(parse_graph(before))) == expected


def test_lower_to_thresholds_clips_unreachable_levels():
    # v = x/8 over u2 (0..3) never passes 1/2: every threshold is x.max + 1 = 4.
    before = """\
graph nn
input x: u2[1]
node act: Requantize(x) -> act: u2[1]
  mul = [1/8]
  add = [0]
output act
"""
    expected = """\
graph nn
input x: u2[1]
node act: MultiThreshold(x) -> act: u2[1]
  thresholds = [1, 3] 4 4 4
output act
"""
    assert print_graph(lower_to_thresholds(parse_graph(before))) == expected


def test_lower_to_thresholds_negates_weights_for_negative_scales():
    # Channel 0's mul is negative: its weight row is negated and mul becomes +1/2, so the
    # accumulator y = -(x0 + 2 x1) lies in [-9, 0] (still i5 with channel 1's [-3, 3]).
    # channel 0, v = y/2 + 5/2 reaches 1 at v > 1/2, y > -4: -3.
    # channel 1, v = y/4 reaches 1 at v > 1/2, y > 2: 3.
    before = """\
graph nn
input x: u2[2]
node fc: MatMul(x) -> fc: i5[2]
  weight = [2, 2] 1 2 -1 1
  weight_dtype = i3
node act: Requantize(fc) -> act: u1[2]
  mul = [-1/2, 1/4]
  add = [5/2, 0]
output act
"""
    expected = """\
graph nn
input x: u2[2]
node fc: MatMul(x) -> fc: i5[2]
  weight = [2, 2] -1 -2 -1 1
  weight_dtype = i3
node act: MultiThreshold(fc) -> act: u1[2]
  thresholds = [2, 1] -3 3
output act
"""
    g = parse_graph(before)
    after = lower_to_thresholds(g)
    assert print_graph(after) == expected
    x = _all_inputs(IntType(2, False), 2)
    np.testing.assert_array_equal(run_single(after, x), run_single(g, x))


def test_lower_to_thresholds_negating_the_most_negative_weight_still_verifies():
    g = parse_graph("""\
graph nn
input x: u2[1]
node fc: MatMul(x) -> fc: i5[1]
  weight = [1, 1] -4
  weight_dtype = i3
node act: Requantize(fc) -> act: u2[1]
  mul = [-1/2]
  add = [0]
output act
""")
    verify(lower_to_thresholds(g))


def test_lower_to_thresholds_negative_scale_needs_a_weighted_producer():
    g = parse_graph(REQUANTIZE_INPUT.replace("[1/3, 1/2]", "[-1/2, 1/2]"))
    message = (
        r"^node act: thresholds need ascending channels; channel 0 has mul -1/2 < 0 and its "
        r"producer must be a MatMul or Conv feeding only this node, so its weights can be "
        r"negated; use the mulshift lowering$"
    )
    with pytest.raises(IRError, match=message):
        lower_to_thresholds(g)


def test_lower_to_mulshift():
    # mul = 3/8 and add = -1/4 over a common 2**3: multiplier 3, bias -2, shift 3.
    before = REQUANTIZE_INPUT.replace("[1/3, 1/2]", "[3/8, 1/2]").replace("[1/2, 0]", "[-1/4, 0]")
    expected = """\
graph nn
input x: i4[2]
node act: MulShift(x) -> act: u2[2]
  multiplier = (3, 1)
  bias = (-2, 0)
  shift = (3, 1)
output act
"""
    g = parse_graph(before)
    after = lower_to_mulshift(g)
    assert print_graph(after) == expected
    x = _all_inputs(IntType(4, True), 2)
    np.testing.assert_array_equal(run_single(after, x), run_single(g, x))


def test_lower_to_mulshift_needs_dyadic_scales():
    message = (
        r"^node act: channel 0 scale must be dyadic \(a power-of-two denominator\) for the "
        r"mulshift lowering, not mul=1/3 add=1/2; use thresholds$"
    )
    with pytest.raises(IRError, match=message):
        lower_to_mulshift(parse_graph(REQUANTIZE_INPUT))


# --- streamline -------------------------------------------------------------------------------

u2, u3, u4, i3, i32 = (
    IntType(2, False),
    IntType(3, False),
    IntType(4, False),
    IntType(3, True),
    IntType(32, True),
)


def _scales(rng, n: int, dyadic: bool, negative: bool) -> tuple[tuple[Fraction, ...], ...]:
    """Per-channel (mul, add) sized for accumulators of a few dozen; some muls negative."""
    sign = rng.choice([-1, 1], size=n) if negative else np.ones(n, dtype=int)
    num = rng.integers(1, 8, size=n)
    den = np.full(n, 64) if dyadic else rng.integers(20, 90, size=n)
    mul = tuple(Fraction(int(s * a), int(d)) for s, a, d in zip(sign, num, den, strict=True))
    add = tuple(Fraction(int(a), 4) for a in rng.integers(-6, 7, size=n))
    return mul, add


# Weights stay in -3..3: negating i3's -4 for a negative mul is the xfail above.


def _mlp(rng, dyadic: bool) -> Graph:
    """u4[8] -> MatMul -> Requantize u2 -> MatMul -> Requantize i5 (scaled output)."""
    w1 = IntArray(rng.integers(-3, 4, size=(6, 8)))
    w2 = IntArray(rng.integers(-3, 4, size=(4, 6)))
    nodes = (
        Node("fc1", MatMul(w1, i3), ("x",), Value("fc1", i32, (6,))),
        Node("act1", Requantize(*_scales(rng, 6, dyadic, True)), ("fc1",), Value("act1", u2, (6,))),
        Node("fc2", MatMul(w2, i3), ("act1",), Value("fc2", i32, (4,))),
        Node(
            "act2",
            Requantize(*_scales(rng, 4, dyadic, True)),
            ("fc2",),
            Value("act2", IntType(5, True), (4,)),
        ),
    )
    scale = Scale((Fraction(1, 16),), (Fraction(0),))
    return Graph("nn", (Value("x", u4, (8,)),), nodes, ("act2",), (("act2", scale),))


def _cnn(rng, dyadic: bool) -> Graph:
    """u4[1, 8, 8] -> Conv -> Requantize u3 -> MaxPool -> Flatten -> MatMul -> bipolar."""
    w1 = IntArray(rng.integers(-3, 4, size=(4, 1, 3, 3)))
    w2 = IntArray(rng.integers(-3, 4, size=(5, 64)))
    nodes = (
        Node("conv", Conv(w1, i3, (1, 1), (1, 1)), ("x",), Value("conv", i32, (4, 8, 8))),
        Node(
            "act",
            Requantize(*_scales(rng, 4, dyadic, True)),
            ("conv",),
            Value("act", u3, (4, 8, 8)),
        ),
        Node("pool", MaxPool((2, 2), (2, 2)), ("act",), Value("pool", u3, (4, 4, 4))),
        Node("flat", Flatten(), ("pool",), Value("flat", u3, (64,))),
        Node("fc", MatMul(w2, i3), ("flat",), Value("fc", i32, (5,))),
        Node(
            "sign",
            Requantize(*_scales(rng, 5, dyadic, True)),
            ("fc",),
            Value("sign", BIPOLAR, (5,)),
        ),
    )
    return Graph("nn", (Value("x", u4, (1, 8, 8)),), nodes, ("sign",))


STREAMLINE_CASES = [  # graph builder, dyadic scales, lowering
    pytest.param(_mlp, False, None, id="mlp-auto"),
    pytest.param(_mlp, True, None, id="mlp-dyadic-auto"),
    pytest.param(_mlp, False, Lowering.THRESHOLDS, id="mlp-thresholds"),
    pytest.param(_mlp, True, Lowering.MULSHIFT, id="mlp-mulshift"),
    pytest.param(_cnn, False, Lowering.THRESHOLDS, id="cnn-thresholds"),
    pytest.param(_cnn, True, Lowering.MULSHIFT, id="cnn-mulshift"),
    pytest.param(
        _cnn, True, {"act": Lowering.MULSHIFT, "sign": Lowering.THRESHOLDS}, id="cnn-mixed"
    ),
]


@pytest.mark.parametrize("make, dyadic, lowering", STREAMLINE_CASES)
def test_streamline_verifies_at_hw_and_keeps_outputs(rng, make, dyadic, lowering):
    before = verify(make(rng, dyadic))
    after = streamline(before, lowering)
    assert after.stage == "hw"
    assert verify(after, "hw") is after
    assert after.scales == before.scales
    x_value = before.inputs[0]
    x = rng.integers(x_value.dtype.min, x_value.dtype.max + 1, size=(512, *x_value.shape))
    expected = run_single(before, x)
    assert len(np.unique(expected)) > 1, "test graph saturates: outputs carry no information"
    np.testing.assert_array_equal(run_single(after, x), expected)


@pytest.mark.parametrize(
    "lowering, op_type",
    [(Lowering.THRESHOLDS, MultiThreshold), (Lowering.MULSHIFT, MulShift)],
)
def test_streamline_lowers_every_requantize_as_asked(rng, lowering, op_type):
    after = streamline(_mlp(rng, dyadic=True), lowering)
    assert [n.name for n, _ in after.ops_of(op_type)] == ["act1", "act2"]
    assert not list(after.ops_of(Requantize))


def test_streamline_makes_accumulators_minimal(rng):
    after = streamline(_mlp(rng, dyadic=True))
    assert infer_types(after) == after
    assert all(n.output.dtype.bits < 32 for n, _ in after.ops_of(MatMul))


def test_streamline_rejects_an_illegal_nn_graph():
    g = parse_graph(REQUANTIZE_INPUT.replace("act: u2[2]", "act: u2[3]"))
    with pytest.raises(IRError, match=r"^node act \(Requantize, stage nn\): output shape must be"):
        streamline(g)
