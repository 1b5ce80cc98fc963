"""L2: the exact executor against independent references and hand-computed cases.

Accumulating ops are checked against plain NumPy / Python ints and against PyTorch's float64
convolution and pooling (exact for these small integers); rounding ops against hand-computed
ties and against Python's own round-half-even on ``Fraction``.
"""

from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from streamfold.errors import SimulationError
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
    Op,
    Requantize,
    Scale,
    Value,
)
from streamfold.sim.exact import dequantize, run, run_single

u2, u4, i3, i4, i8 = (
    IntType(b, s) for b, s in ((2, False), (4, False), (3, True), (4, True), (8, True))
)
i32, i64 = IntType(32, True), IntType(64, True)


def _one_node(op: Op, x: Value, out: Value) -> Graph:
    """A graph computing ``out = op(x)``; the executor does not need it verified."""
    return Graph("nn", (x,), (Node(out.name, op, (x.name,), out),), (out.name,))


def _column(values: list[int]) -> np.ndarray:
    """A batch of one-channel samples, one per value."""
    return np.array(values, dtype=np.int64).reshape(-1, 1)


def _torch_int(t: torch.Tensor) -> np.ndarray:
    a = t.numpy()
    assert np.array_equal(a, np.round(a)), "float64 reference lost exactness"
    return a.astype(np.int64)


# --- MatMul ---------------------------------------------------------------------------------


def test_matmul_matches_numpy(rng):
    w = rng.integers(-4, 4, size=(5, 7))
    x = rng.integers(-8, 8, size=(10, 7))
    g = _one_node(MatMul(IntArray(w), i3), Value("x", i4, (7,)), Value("y", i32, (5,)))
    y = run_single(g, x)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, x @ w.T)


def test_matmul_past_62_bits_uses_python_ints():
    # |w| sums to 3 * 2**61, so int64 products could overflow; the true results fit 63 bits.
    w = [[2**61, -(2**61)], [2**60, 2**60]]
    x = np.array([[3, 0], [0, 3], [3, 3], [1, 2]])
    g = _one_node(MatMul(IntArray(w), i64), Value("x", u2, (2,)), Value("y", i64, (2,)))
    expected = [[sum(wi * int(xi) for wi, xi in zip(row, s, strict=True)) for row in w] for s in x]
    np.testing.assert_array_equal(run_single(g, x), np.array(expected, dtype=np.int64))


# --- Conv and MaxPool vs PyTorch --------------------------------------------------------------

CONVS = [  # weight shape, spatial input, stride, padding
    pytest.param((3, 2, 3), (9,), (1,), (0,), id="1d"),
    pytest.param((4, 3, 3), (10,), (2,), (1,), id="1d-stride-pad"),
    pytest.param((2, 1, 5), (7,), (3,), (2,), id="1d-wide-kernel"),
    pytest.param((3, 2, 3, 3), (6, 7), (1, 1), (0, 0), id="2d"),
    pytest.param((4, 3, 3, 2), (8, 7), (2, 1), (1, 2), id="2d-stride-pad"),
    pytest.param((2, 2, 1, 1), (5, 5), (2, 2), (0, 0), id="2d-pointwise"),
]


@pytest.mark.parametrize("w_shape, spatial, stride, padding", CONVS)
def test_conv_matches_torch(rng, w_shape, spatial, stride, padding):
    w = rng.integers(-4, 4, size=w_shape)
    x = rng.integers(-8, 8, size=(3, w_shape[1], *spatial))
    conv = F.conv1d if len(spatial) == 1 else F.conv2d
    ref = conv(torch.from_numpy(x).double(), torch.from_numpy(w).double(), None, stride, padding)
    expected = _torch_int(ref)
    op = Conv(IntArray(w), i3, stride, padding)
    g = _one_node(op, Value("x", i4, x.shape[1:]), Value("y", i32, expected.shape[1:]))
    np.testing.assert_array_equal(run_single(g, x), expected)


POOLS = [  # input shape (channels, *spatial), kernel, stride
    pytest.param((3, 9), (3,), (2,), id="1d-floor"),
    pytest.param((2, 8), (2,), (2,), id="1d"),
    pytest.param((2, 6, 6), (2, 2), (2, 2), id="2d"),
    pytest.param((3, 7, 6), (3, 2), (1, 2), id="2d-overlapping"),
]


@pytest.mark.parametrize("shape, kernel, stride", POOLS)
def test_maxpool_matches_torch(rng, shape, kernel, stride):
    x = rng.integers(-8, 8, size=(4, *shape))
    pool = F.max_pool1d if len(kernel) == 1 else F.max_pool2d
    expected = _torch_int(pool(torch.from_numpy(x).double(), kernel, stride))
    g = _one_node(
        MaxPool(kernel, stride), Value("x", i4, shape), Value("y", i4, expected.shape[1:])
    )
    np.testing.assert_array_equal(run_single(g, x), expected)


def test_flatten_is_row_major(rng):
    x = rng.integers(0, 16, size=(2, 3, 2, 2))
    g = _one_node(Flatten(), Value("x", u4, (3, 2, 2)), Value("y", u4, (12,)))
    np.testing.assert_array_equal(run_single(g, x), torch.flatten(torch.from_numpy(x), 1).numpy())


# --- Requantize -------------------------------------------------------------------------------


def _requantize(mul, add, out: IntType, channels: int = 1, x_type: IntType = i8) -> Graph:
    op = Requantize(tuple(map(Fraction, mul)), tuple(map(Fraction, add)))
    return _one_node(op, Value("x", x_type, (channels,)), Value("y", out, (channels,)))


@pytest.mark.parametrize(
    "mul, add, xs, expected",
    [
        pytest.param(
            "1/2", "0", [1, 3, -1, -3, 5, -5, 2, 0], [0, 2, 0, -2, 2, -2, 1, 0], id="half"
        ),
        pytest.param(
            "1/3", "1/2", [0, 3, 6, -3, -6, 1, 2], [0, 2, 2, 0, -2, 1, 1], id="third-plus-half"
        ),
        pytest.param("-1/4", "0", [2, 6, -2, -6, 10, 1], [0, -2, 0, 2, -2, 0], id="negative-mul"),
        pytest.param("3/2", "-1/4", [1, -1, 3], [1, -2, 4], id="no-ties"),
    ],
)
def test_requantize_rounds_half_to_even(mul, add, xs, expected):
    g = _requantize([mul], [add], i8)
    np.testing.assert_array_equal(run_single(g, _column(xs)), _column(expected))


@pytest.mark.parametrize(
    "out, expected",
    [
        pytest.param(u2, [0, 0, 0, 1, 3, 3], id="u2"),
        pytest.param(IntType(2, True, narrow=True), [-1, -1, 0, 1, 1, 1], id="i2n"),
        pytest.param(IntType(3, True), [-4, -2, 0, 1, 3, 3], id="i3"),
    ],
)
def test_requantize_clamps_to_output_type(out, expected):
    g = _requantize(["1"], ["0"], out)
    xs = [-9, -2, 0, 1, 3, 100]
    np.testing.assert_array_equal(run_single(g, _column(xs)), _column(expected))


def test_requantize_bipolar_is_sign_with_zero_positive():
    # x / 2 - 1 >= 0 exactly when x >= 2.
    g = _requantize(["1/2"], ["-1"], BIPOLAR)
    np.testing.assert_array_equal(
        run_single(g, _column([-5, 0, 1, 2, 3, 100])), _column([-1, -1, -1, 1, 1, 1])
    )


def test_requantize_per_channel():
    g = _requantize(["1/2", "-1/4"], ["0", "1/2"], i8, channels=2)
    x = np.array([[1, 2], [3, -2], [4, 6]])
    # channel 0: 1/2 -> 0, 3/2 -> 2, 2;  channel 1: 0, 1, -1
    np.testing.assert_array_equal(run_single(g, x), [[0, 0], [2, 1], [2, -1]])


def test_requantize_matches_fraction_round(rng):
    mul = [
        Fraction(int(n), int(d))
        for n, d in zip(rng.integers(-9, 10, 3), rng.integers(1, 13, 3), strict=True)
    ]
    add = [
        Fraction(int(n), int(d))
        for n, d in zip(rng.integers(-9, 10, 3), rng.integers(1, 13, 3), strict=True)
    ]
    g = _requantize(mul, add, IntType(6, True), channels=3)
    x = rng.integers(-128, 128, size=(200, 3))
    expected = [
        [min(max(round(int(v) * mul[c] + add[c]), -32), 31) for c, v in enumerate(row)] for row in x
    ]
    np.testing.assert_array_equal(run_single(g, x), expected)


# --- MultiThreshold ---------------------------------------------------------------------------


def _thresholds(rows, out: IntType, x: np.ndarray) -> np.ndarray:
    op = MultiThreshold(IntArray(rows))
    channels = x.shape[1]
    g = _one_node(op, Value("x", i8, (channels,)), Value("y", out, (channels,)))
    return run_single(g, x)


def test_multithreshold_counts_thresholds_reached():
    xs = [-1, 0, 1, 2, 4, 5, 9]
    np.testing.assert_array_equal(
        _thresholds([[0, 2, 5]], u2, _column(xs)), _column([0, 1, 1, 2, 2, 3, 3])
    )


def test_multithreshold_signed_output_starts_at_min():
    xs = [-1, 0, 2, 5]
    np.testing.assert_array_equal(
        _thresholds([[0, 2, 5]], IntType(2, True), _column(xs)), _column([-2, -1, 0, 1])
    )


def test_multithreshold_per_channel_with_equal_thresholds():
    x = np.array([[-1, -4], [0, -3], [5, 9], [9, 10]])
    got = _thresholds([[0, 2, 5], [-3, -3, 10]], u2, x)
    np.testing.assert_array_equal(got, [[0, 0], [1, 2], [3, 2], [3, 3]])


def test_multithreshold_bipolar():
    xs = [-7, 2, 3, 8]
    np.testing.assert_array_equal(_thresholds([[3]], BIPOLAR, _column(xs)), _column([-1, -1, 1, 1]))


# --- MulShift ---------------------------------------------------------------------------------


def _mulshift(m, b, s, out: IntType, x: np.ndarray) -> np.ndarray:
    channels = x.shape[1]
    g = _one_node(MulShift(m, b, s), Value("x", i8, (channels,)), Value("y", out, (channels,)))
    return run_single(g, x)


@pytest.mark.parametrize(
    "m, b, s, xs, expected",
    [
        pytest.param(1, 0, 1, [1, 3, -1, -3, 5, -5, 4], [0, 2, 0, -2, 2, -2, 2], id="halves"),
        # (3x + 1) / 4: -1/2 -> 0, 5/2 -> 2, 11/2 -> 6, 7/4 -> 2, -5/4 -> -1
        pytest.param(
            3, 1, 2, [1, -1, 3, -3, 5, 7, 2, -2], [1, 0, 2, -2, 4, 6, 2, -1], id="quarters"
        ),
        pytest.param(-5, 3, 0, [0, 1, -2], [3, -2, 13], id="no-shift"),
        # x / 8 at the ties +-1/2, +-3/2: even neighbours 0, 0, 2, -2
        pytest.param(1, 0, 3, [4, -4, 12, -12, 5, -5], [0, 0, 2, -2, 1, -1], id="eighths"),
    ],
)
def test_mulshift_rounds_half_to_even(m, b, s, xs, expected):
    got = _mulshift((m,), (b,), (s,), i8, _column(xs))
    np.testing.assert_array_equal(got, _column(expected))


def test_mulshift_clamps_and_is_per_channel():
    x = np.array([[100, 100], [-100, -100], [3, 3]])
    got = _mulshift((1, 1), (0, 0), (0, 2), IntType(3, True), x)
    # channel 0: x clipped to [-4, 3]; channel 1: x / 4 (25, -25, 3/4 -> 1) clipped
    np.testing.assert_array_equal(got, [[3, 3], [-4, -4], [3, 1]])


def test_mulshift_bipolar_is_sign_with_zero_positive():
    got = _mulshift((2,), (-4,), (3,), BIPOLAR, _column([-1, 1, 2, 3]))
    np.testing.assert_array_equal(got, _column([-1, -1, 1, 1]))


def test_mulshift_matches_fraction_round(rng):
    m, b, s = (
        tuple(int(v) for v in a)
        for a in (rng.integers(-50, 50, 4), rng.integers(-99, 99, 4), rng.integers(0, 9, 4))
    )
    x = rng.integers(-128, 128, size=(300, 4))
    expected = [
        [
            min(max(round(Fraction(int(v) * m[c] + b[c], 2 ** s[c])), -128), 127)
            for c, v in enumerate(row)
        ]
        for row in x
    ]
    np.testing.assert_array_equal(_mulshift(m, b, s, i8, x), expected)


# --- Errors -----------------------------------------------------------------------------------


def _fc() -> Graph:
    # u4 inputs through weights (1, 1) reach 30, but the output is declared i3 (-4..3).
    return _one_node(MatMul(IntArray([[1, 1]]), i3), Value("x", u4, (2,)), Value("fc", i3, (1,)))


@pytest.mark.parametrize(
    "x, message",
    [
        pytest.param(
            np.array([[1, 2, 3]]),
            r"^input x: shape must be \(batch, 2\), not \(1, 3\)$",
            id="shape",
        ),
        pytest.param(
            np.array([1, 2]), r"^input x: shape must be \(batch, 2\), not \(2,\)$", id="no-batch"
        ),
        pytest.param(
            np.array([[1.0, 2.0]]),
            r"^input x: dtype must be integer codes, not float64$",
            id="float",
        ),
        pytest.param(
            np.array([[1, 16]]),
            r"^input x: value 16 must lie in its type u4 \[0, 15\]$",
            id="too-big",
        ),
        pytest.param(
            np.array([[-1, 0]]),
            r"^input x: value -1 must lie in its type u4 \[0, 15\]$",
            id="negative",
        ),
    ],
)
def test_bad_inputs(x, message):
    with pytest.raises(SimulationError, match=message):
        run_single(_fc(), x)


def test_missing_input():
    with pytest.raises(SimulationError, match=r"^run: input 'x' must be given$"):
        run(_fc(), {"y": np.zeros((1, 2), dtype=np.int64)})


def test_array_for_several_inputs():
    g = Graph("nn", (Value("a", u4, (1,)), Value("b", u4, (1,))), (), ("a",))
    with pytest.raises(SimulationError, match=r"^run: graph has several inputs; pass a mapping"):
        run(g, np.zeros((1, 1), dtype=np.int64))
    with pytest.raises(
        SimulationError, match=r"^run_single: graph must have one input and one output$"
    ):
        run_single(g, np.zeros((1, 1), dtype=np.int64))


def test_node_output_outside_its_type_names_the_node():
    x = np.array([[0, 1], [3, 4]])
    message = r"^while executing node 'fc': output: value 7 must lie in its type i3 \[-4, 3\]$"
    with pytest.raises(SimulationError, match=message):
        run_single(_fc(), x)
    np.testing.assert_array_equal(run_single(_fc(), x, check_types=False), [[1], [7]])


def test_error_inside_a_node_is_reraised_with_its_name():
    w = [[2**62, 2**62]]  # 255 * 2**63 does not fit the executor's 63 bits
    g = _one_node(
        MatMul(IntArray(w), IntType(64, False)),
        Value("x", IntType(8, False), (2,)),
        Value("fc1", IntType(80, False), (1,)),
    )
    message = (
        r"^while executing node 'fc1': result exceeds 63 bits; "
        r"the exact executor computes in int64$"
    )
    with pytest.raises(SimulationError, match=message):
        run_single(g, np.array([[255, 255]]))


def test_malformed_node_is_reraised_with_its_name():
    # Not verified: the weights expect 3 features but the input has 2.
    g = _one_node(MatMul(IntArray([[1, 1, 1]]), i3), Value("x", u4, (2,)), Value("fc", i32, (1,)))
    with pytest.raises(
        SimulationError,
        match=r"^while executing node 'fc': MatMul: input must be \(batch, 3\), not \(1, 2\)$",
    ):
        run_single(g, np.array([[1, 2]]))


def test_bipolar_input_must_be_plus_or_minus_one():
    g = _one_node(Flatten(), Value("x", BIPOLAR, (2,)), Value("y", BIPOLAR, (2,)))
    np.testing.assert_array_equal(run_single(g, np.array([[-1, 1]])), [[-1, 1]])
    with pytest.raises(SimulationError, match=r"^input x: values must be -1 or \+1 for bipolar"):
        run_single(g, np.array([[0, 1]]))


def test_bipolar_error_lists_plain_integers():
    g = _one_node(Flatten(), Value("x", BIPOLAR, (2,)), Value("y", BIPOLAR, (2,)))
    with pytest.raises(
        SimulationError, match=r"^input x: values must be -1 or \+1 for bipolar, not \[0\]$"
    ):
        run_single(g, np.array([[0, 1]]))


# --- dequantize -------------------------------------------------------------------------------


def test_dequantize_per_channel():
    scale = Scale(
        (Fraction(1, 2), Fraction(1, 4), Fraction(2)), (Fraction(1), Fraction(0), Fraction(-1, 2))
    )
    codes = np.array([[2, 4, 1], [-3, 1, 0]])
    expected = np.array([[2.0, 1.0, 1.5], [-0.5, 0.25, -0.5]])
    got = dequantize(codes, scale)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, expected)


def test_dequantize_per_channel_spatial_and_broadcast():
    scale = Scale((Fraction(1, 2), Fraction(-3)), (Fraction(1, 8),))
    codes = np.array([[[1, 2], [3, -1]]])  # (batch 1, channels 2, length 2)
    np.testing.assert_array_equal(dequantize(codes, scale), [[[0.625, 1.125], [-8.875, 3.125]]])


def test_dequantize_without_scale_is_float_codes():
    got = dequantize(np.array([[1, -2]]), None)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [[1.0, -2.0]])
