"""Threshold and multiply-shift lowerings of one Requantize compute identical integers.

Every lowering (thresholds, multiply-shift, automatic, and the full ``streamline`` pipeline,
which also verifies the result at stage "hw") is compared with the unlowered graph and with an
independent reference written here with Python ``Fraction``s: ``round`` on a Fraction rounds half
to even. Small input types are checked exhaustively, including every rounding tie and both
clamps; wider ones on seeded random and extreme vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np
import pytest

from streamfold.errors import IRError
from streamfold.ir import (
    BIPOLAR,
    Conv,
    Graph,
    IntArray,
    IntType,
    MatMul,
    MulShift,
    MultiThreshold,
    Node,
    Requantize,
    Value,
    verify,
)
from streamfold.sim.exact import run, run_single
from streamfold.transforms import (
    Lowering,
    infer_types,
    lower_requantize,
    lower_to_mulshift,
    lower_to_thresholds,
    streamline,
)

Fractions = tuple[Fraction, ...]
ACC = IntType(64, True)  # placeholder: infer_types computes the accumulator type
I3N = IntType(3, True, narrow=True)  # symmetric weights: negating a row keeps it in its type

u1, u2, u4, u8 = (IntType(b, False) for b in (1, 2, 4, 8))
i2, i3, i4, i8 = (IntType(b, True) for b in (2, 3, 4, 8))
i2n, i3n, i4n = (IntType(b, True, narrow=True) for b in (2, 3, 4))

SMALL_INPUTS = [u1, u4, i4, u8, i8, BIPOLAR, i2n, i3n]
OUTPUTS = [BIPOLAR, u1, u2, u4, i2, i2n, i3, i4, i4n, u8, i8]


def _ids(types: Sequence[IntType]) -> list[str]:
    return [str(t) for t in types]


# --- graphs and the reference ------------------------------------------------------------------


def matmul_graph(
    x: IntType, weight: np.ndarray, mul: Fractions, add: Fractions, out: IntType, w: IntType = I3N
) -> Graph:
    """x: [in_features] -> MatMul -> Requantize -> out, types inferred and verified."""
    channels, in_features = weight.shape
    nodes = (
        Node("mm", MatMul(IntArray(weight), w), ("x",), Value("mm", ACC, (channels,))),
        Node("rq", Requantize(mul, add), ("mm",), Value("rq", out, (channels,))),
    )
    g = Graph("nn", (Value("x", x, (in_features,)),), nodes, ("rq",))
    return verify(infer_types(g), "nn")


def requantize_reference(
    acc: np.ndarray, mul: Fractions, add: Fractions, out: IntType
) -> np.ndarray:
    """clamp(round_half_even(acc * mul + add)) per channel (axis 1); bipolar: +1 where >= 0."""
    result = np.empty(acc.shape, dtype=np.int64)
    for index, a in np.ndenumerate(acc):
        c = index[1]
        v = int(a) * mul[c % len(mul)] + add[c % len(add)]
        result[index] = (
            (1 if v >= 0 else -1) if out.bipolar else min(max(round(v), out.min), out.max)
        )
    return result


def all_values(t: IntType) -> np.ndarray:
    """Every value of ``t``, as a batch of one-feature inputs."""
    return np.array([t.value_of_level(k) for k in range(t.levels)], dtype=np.int64).reshape(-1, 1)


def accumulators(g: Graph, x: np.ndarray) -> np.ndarray:
    """The values reaching the Requantize (computed by the unlowered graph)."""
    src = g.node("rq").inputs[0]
    if src == g.inputs[0].name:
        return x
    return run(Graph(g.stage, g.inputs, g.nodes, (src,)), x)[src]


def check_all_lowerings(g: Graph, x: np.ndarray) -> np.ndarray:
    """Every lowering of ``g`` gives the reference integers on ``x``; returns them."""
    rq = g.node("rq").op
    assert isinstance(rq, Requantize)
    expected = requantize_reference(accumulators(g, x), rq.mul, rq.add, g.node("rq").output.dtype)
    np.testing.assert_array_equal(run_single(g, x), expected)
    thresholds, mulshift = lower_to_thresholds(g), lower_to_mulshift(g)
    assert isinstance(thresholds.node("rq").op, MultiThreshold)
    assert isinstance(mulshift.node("rq").op, MulShift)
    for lowered in (thresholds, mulshift, lower_requantize(g)):
        np.testing.assert_array_equal(run_single(lowered, x), expected)
    for how in (Lowering.THRESHOLDS, Lowering.MULSHIFT, None):
        np.testing.assert_array_equal(run_single(streamline(g, how), x), expected)
    return expected


def count_ties(acc: np.ndarray, mul: Fractions, add: Fractions) -> int:
    return sum(
        (int(a) * mul[i[1] % len(mul)] + add[i[1] % len(add)]) % 1 == Fraction(1, 2)
        for i, a in np.ndenumerate(acc)
    )


# --- scales ----------------------------------------------------------------------------------


def dyadic(v: float | Fraction, bits: int = 12) -> Fraction:
    """``v`` rounded to a multiple of 2**-bits."""
    return Fraction(round(Fraction(v) * (1 << bits)), 1 << bits)


def fitted(lo: int, hi: int, out: IntType, sign: int = 1) -> tuple[Fraction, Fraction]:
    """A dyadic (mul, add) mapping [lo, hi] a little beyond every level of ``out``."""
    lo, hi = int(lo), int(hi)
    span = max(hi - lo, 1)
    mul = dyadic(Fraction(out.levels + 1, span)) or Fraction(1, 1 << 12)
    lowest = out.min - 1 if not out.bipolar else -1
    add = dyadic(lowest - (lo if sign > 0 else hi) * mul * sign)
    return sign * mul, add


def random_dyadic(rng: np.random.Generator, lo_exp: int, hi_exp: int) -> Fraction:
    odd = int(rng.integers(1, 64)) | 1
    return Fraction(odd * (-1 if rng.random() < 0.5 else 1)) * Fraction(2) ** int(
        rng.integers(lo_exp, hi_exp + 1)
    )


def channel_scales(
    rng: np.random.Generator, lo: int, hi: int, out: IntType
) -> tuple[Fractions, Fractions]:
    """Per-channel (mul, add): fitted up and down, ties, zero, negative, tiny and huge."""
    up, down = fitted(lo, hi, out), fitted(lo, hi, out, sign=-1)
    mul = (up[0], down[0], Fraction(1, 2), Fraction(-3, 4), Fraction(0), Fraction(1, 1 << 20))
    add = (up[1], down[1], Fraction(0), Fraction(1, 4), Fraction(3, 2), Fraction(-1, 8))
    mul += (Fraction(5, 2), random_dyadic(rng, -10, 1))
    add += (Fraction(-7, 4), random_dyadic(rng, -6, 2))
    return mul, add


ONE_FEATURE_WEIGHTS = np.array([[1], [1], [1], [-1], [1], [3], [-1], [-3]])  # 8 channels


# --- exhaustive over small input types ---------------------------------------------------------


@pytest.mark.parametrize("out", OUTPUTS, ids=_ids(OUTPUTS))
@pytest.mark.parametrize("x", SMALL_INPUTS, ids=_ids(SMALL_INPUTS))
def test_lowerings_agree_per_channel_exhaustively(
    rng: np.random.Generator, x: IntType, out: IntType
) -> None:
    mul, add = channel_scales(rng, x.min, x.max, out)
    g = matmul_graph(x, ONE_FEATURE_WEIGHTS, mul, add, out)
    xs = all_values(x)
    y = check_all_lowerings(g, xs)
    if x.levels >= out.levels + 2:  # the fitted channels (0 up, 1 down) reach every level
        for c in (0, 1):
            assert set(y[:, c]) == {out.value_of_level(k) for k in range(out.levels)}
    assert count_ties(accumulators(g, xs)[:, 2:4], mul[2:4], add[2:4]) > 0  # x / 2 at odd x


PER_TENSOR = [  # mul, add
    pytest.param(Fraction(1, 2), Fraction(0), id="ties"),
    pytest.param(Fraction(-3, 4), Fraction(1, 4), id="negative-ties"),
    pytest.param(Fraction(0), Fraction(5, 2), id="zero-mul-tie-add"),
    pytest.param(Fraction(0), Fraction(-7, 2), id="zero-mul-negative-add"),
    pytest.param(Fraction(3, 1 << 10), Fraction(-1, 2), id="tiny"),
    pytest.param(Fraction(1 << 20), Fraction(0), id="huge"),
    pytest.param(Fraction(-5, 8), Fraction(-9, 16), id="negative"),
]


@pytest.mark.parametrize(("mul", "add"), PER_TENSOR)
@pytest.mark.parametrize("out", OUTPUTS, ids=_ids(OUTPUTS))
@pytest.mark.parametrize("x", [u4, i4, BIPOLAR], ids=_ids([u4, i4, BIPOLAR]))
def test_lowerings_agree_per_tensor_exhaustively(
    x: IntType, out: IntType, mul: Fraction, add: Fraction
) -> None:
    g = matmul_graph(x, ONE_FEATURE_WEIGHTS, (mul,), (add,), out)
    check_all_lowerings(g, all_values(x))


@pytest.mark.parametrize("out", OUTPUTS, ids=_ids(OUTPUTS))
def test_lowerings_agree_with_mixed_per_channel_and_per_tensor(
    rng: np.random.Generator, out: IntType
) -> None:
    """Per-channel mul with one add, and one mul with per-channel adds."""
    mul, add = channel_scales(rng, i8.min, i8.max, out)
    xs = all_values(i8)
    check_all_lowerings(matmul_graph(i8, ONE_FEATURE_WEIGHTS, mul, (Fraction(1, 4),), out), xs)
    check_all_lowerings(matmul_graph(i8, ONE_FEATURE_WEIGHTS, (Fraction(-3, 8),), add, out), xs)


@pytest.mark.parametrize("out", OUTPUTS, ids=_ids(OUTPUTS))
@pytest.mark.parametrize("x", [u8, i8, i4], ids=_ids([u8, i8, i4]))
def test_requantize_on_the_graph_input_exhaustively(
    rng: np.random.Generator, x: IntType, out: IntType
) -> None:
    """No producer to negate: positive multipliers only, every input value."""
    mul, add = channel_scales(rng, x.min, x.max, out)
    mul = tuple(abs(m) for m in mul)
    rq = Node("rq", Requantize(mul, add), ("x",), Value("rq", out, (len(mul),)))
    g = verify(Graph("nn", (Value("x", x, (len(mul),)),), (rq,), ("rq",)), "nn")
    xs = np.repeat(all_values(x), len(mul), axis=1)
    check_all_lowerings(g, xs)


# --- random vectors through wider layers -------------------------------------------------------


def extreme_vectors(weight: np.ndarray, x: IntType) -> np.ndarray:
    """Per output channel the input maximising and the one minimising its dot product."""
    big = np.where(weight > 0, x.max, x.min)
    small = np.where(weight > 0, x.min, x.max)
    return np.concatenate([big, small]).astype(np.int64)


@pytest.mark.parametrize(
    "out", [BIPOLAR, u2, i3, i4n, u8, i8], ids=_ids([BIPOLAR, u2, i3, i4n, u8, i8])
)
@pytest.mark.parametrize("x", [u8, i8, BIPOLAR, u1], ids=_ids([u8, i8, BIPOLAR, u1]))
def test_lowerings_agree_on_random_vectors(
    rng: np.random.Generator, x: IntType, out: IntType
) -> None:
    in_features, channels = 64, 16
    w = rng.integers(-3, 4, size=(channels, in_features))
    lo, hi = np.minimum(w * x.min, w * x.max).sum(1), np.maximum(w * x.min, w * x.max).sum(1)
    # fitted to the middle half of each channel's range, alternately rising and falling
    scales = [
        fitted((3 * lo[c] + hi[c]) // 4, (lo[c] + 3 * hi[c]) // 4, out, (-1) ** c)
        for c in range(channels)
    ]
    mul, add = tuple(m for m, _ in scales), tuple(a for _, a in scales)
    g = matmul_graph(x, w, mul, add, out)
    random = rng.choice(all_values(x).ravel(), size=(1000, in_features))
    xs = np.concatenate([random, extreme_vectors(w, x)])
    y = check_all_lowerings(g, xs)
    assert y.min() == out.min and y.max() == out.max
    assert len(np.unique(y)) >= min(out.levels, 16)


def test_lowerings_agree_after_a_conv(rng: np.random.Generator) -> None:
    """Negative channels below a Conv: thresholds negate the right 4-d weight rows."""
    w = rng.integers(-3, 4, size=(4, 2, 3, 3))
    conv = Conv(IntArray(w), I3N, (1, 1), (1, 1))
    mul = (Fraction(3, 64), Fraction(-5, 128), Fraction(1, 2), Fraction(-1, 16))
    add = (Fraction(1, 8), Fraction(-3, 4), Fraction(0), Fraction(1, 2))
    nodes = (
        Node("conv", conv, ("x",), Value("conv", ACC, (4, 5, 5))),
        Node("rq", Requantize(mul, add), ("conv",), Value("rq", i4, (4, 5, 5))),
    )
    g = verify(infer_types(Graph("nn", (Value("x", u4, (2, 5, 5)),), nodes, ("rq",))), "nn")
    flipped = lower_to_thresholds(g).node("conv").op
    assert isinstance(flipped, Conv)
    np.testing.assert_array_equal(
        flipped.weight.array, w * np.array([1, -1, 1, -1])[:, None, None, None]
    )
    xs = rng.integers(0, 16, size=(200, 2, 5, 5))
    y = check_all_lowerings(g, xs)
    assert len(np.unique(y)) > 8


# --- non-dyadic scales -------------------------------------------------------------------------


@pytest.mark.parametrize("out", [BIPOLAR, u2, i4, u8], ids=_ids([BIPOLAR, u2, i4, u8]))
def test_non_dyadic_scales_lower_to_exact_thresholds(out: IntType) -> None:
    mul = (Fraction(1, 3), Fraction(-2, 7), Fraction(1, 2), Fraction(10, 3))
    add = (Fraction(0), Fraction(1, 5), Fraction(1, 3), Fraction(-5, 6))
    g = matmul_graph(i8, np.array([[1], [1], [-1], [1]]), mul, add, out)
    xs = all_values(i8)
    acc = accumulators(g, xs)
    expected = requantize_reference(acc, mul, add, out)
    assert count_ties(acc, mul, add) > 0  # 10x/3 - 5/6 is a half for x = 1 mod 3
    for lowered in (lower_to_thresholds(g), lower_requantize(g), streamline(g)):
        assert isinstance(lowered.node("rq").op, MultiThreshold)  # chosen for non-dyadic
        np.testing.assert_array_equal(run_single(lowered, xs), expected)


@pytest.mark.parametrize(
    ("mul", "add", "message"),
    [
        pytest.param(
            (Fraction(1, 2), Fraction(1, 3)),
            (Fraction(0),),
            r"^node rq: channel 1 scale must be dyadic \(a power-of-two denominator\) for the "
            r"mulshift lowering, not mul=1/3 add=0; use thresholds$",
            id="mul",
        ),
        pytest.param(
            (Fraction(1, 2),),
            (Fraction(1, 4), Fraction(-1, 5)),
            r"^node rq: channel 1 scale must be dyadic \(a power-of-two denominator\) for the "
            r"mulshift lowering, not mul=1/2 add=-1/5; use thresholds$",
            id="add",
        ),
    ],
)
def test_mulshift_rejects_non_dyadic_scales(mul: Fractions, add: Fractions, message: str) -> None:
    g = matmul_graph(u4, np.array([[1], [2]]), mul, add, u4)
    with pytest.raises(IRError, match=message):
        lower_to_mulshift(g)
    with pytest.raises(IRError, match=message):
        streamline(g, Lowering.MULSHIFT)


# --- negative multipliers the threshold lowering cannot absorb ---------------------------------


def _graph_input_producer() -> Graph:
    rq = Node(
        "rq",
        Requantize((Fraction(1, 2), Fraction(-1, 4)), (Fraction(0),)),
        ("x",),
        Value("rq", u2, (2,)),
    )
    return Graph("nn", (Value("x", i4, (2,)),), (rq,), ("rq",))


def _shared_matmul_producer() -> Graph:
    weight = np.array([[1, 0], [2, 1]])
    g = matmul_graph(i4, weight, (Fraction(1, 2), Fraction(-1, 4)), (Fraction(0),), u2)
    return Graph("nn", g.inputs, g.nodes, ("rq", "mm"))


def _requantize_producer() -> Graph:
    first = Node("r0", Requantize((Fraction(1),), (Fraction(0),)), ("x",), Value("r0", i4, (2,)))
    rq = Node(
        "rq",
        Requantize((Fraction(1, 2), Fraction(-1, 4)), (Fraction(0),)),
        ("r0",),
        Value("rq", u2, (2,)),
    )
    return Graph("nn", (Value("x", i4, (2,)),), (first, rq), ("rq",))


PRODUCERS = [
    pytest.param(_graph_input_producer, id="graph-input"),
    pytest.param(_shared_matmul_producer, id="matmul-also-a-graph-output"),
    pytest.param(_requantize_producer, id="requantize"),
]
NEGATIVE_MUL_ERROR = (
    r"^node rq: thresholds need ascending channels; channel 1 has mul -1/4 < 0 and its producer "
    r"must be a MatMul or Conv feeding only this node, so its weights can be negated; use the "
    r"mulshift lowering$"
)


@pytest.mark.parametrize("make", PRODUCERS)
def test_thresholds_reject_negative_mul_without_a_weight_producer(
    make: Callable[[], Graph],
) -> None:
    g = verify(make(), "nn")
    with pytest.raises(IRError, match=NEGATIVE_MUL_ERROR):
        lower_to_thresholds(g)
    with pytest.raises(IRError, match=NEGATIVE_MUL_ERROR):
        streamline(g, Lowering.THRESHOLDS)
    xs = np.array([[a, b] for a in range(-8, 8) for b in range(-8, 8)])
    expected = run(g, xs)
    lowered = lower_to_mulshift(g)  # multiply-shift needs no ascending channels
    got = run(lowered, xs)
    for name in g.outputs:
        np.testing.assert_array_equal(got[name], expected[name])
    reference = requantize_reference(
        accumulators(g, xs), (Fraction(1, 2), Fraction(-1, 4)), (Fraction(0),), u2
    )
    np.testing.assert_array_equal(expected["rq"], reference)


@pytest.mark.parametrize("make", PRODUCERS)
def test_automatic_lowering_falls_back_to_mulshift(make: Callable[[], Graph]) -> None:
    g = verify(make(), "nn")
    xs = np.array([[a, b] for a in range(-8, 8) for b in range(-8, 8)])
    hw = streamline(g)
    assert isinstance(hw.node("rq").op, MulShift)
    np.testing.assert_array_equal(run(hw, xs)["rq"], run(g, xs)["rq"])


@pytest.mark.parametrize(
    ("w", "widened"),
    [
        pytest.param(i2, i3, id="i2-min-negated-needs-i3"),
        pytest.param(u2, i3, id="u2-negated-needs-i3"),
        pytest.param(i8, IntType(9, True), id="i8-min-negated-needs-i9"),
        pytest.param(i2n, i2n, id="narrow-stays"),
        pytest.param(BIPOLAR, BIPOLAR, id="bipolar-stays"),
    ],
)
def test_thresholds_widen_weights_that_negation_pushes_out_of_their_type(
    w: IntType, widened: IntType
) -> None:
    """Negating a row holding i2's -2 gives 2: the weight type must grow, and still verify."""
    weight = np.array([[w.min, w.max], [w.max, w.min]])
    mul, add = (Fraction(-1, 8), Fraction(1, 8)), (Fraction(1, 2),)
    g = matmul_graph(u4, weight, mul, add, i4, w=w)
    hw = streamline(g, Lowering.THRESHOLDS)  # verifies at stage hw
    mm = hw.node("mm").op
    assert isinstance(mm, MatMul)
    np.testing.assert_array_equal(mm.weight.array, [[-w.min, -w.max], [w.max, w.min]])
    assert mm.weight_dtype == widened
    xs = np.array([[a, b] for a in range(16) for b in range(16)])
    expected = requantize_reference(accumulators(g, xs), mul, add, i4)
    np.testing.assert_array_equal(run_single(hw, xs), expected)
    np.testing.assert_array_equal(run_single(lower_to_mulshift(g), xs), expected)
