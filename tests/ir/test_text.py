"""L0: the IR text form prints every op and parses back to an equal Graph; parse errors."""

from fractions import Fraction

import numpy as np
import pytest

from streamfold.errors import IRError
from streamfold.ir import (
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

u2, u4, i4, i16 = IntType(2, False), IntType(4, False), IntType(4, True), IntType(16, True)
i3n = IntType(3, True, narrow=True)


def _conv2d_graph(rng: np.random.Generator) -> Graph:
    """Conv 2-D -> MaxPool -> Flatten -> MatMul -> Requantize, with an output scale."""
    conv_w = IntArray(rng.integers(-3, 4, size=(2, 1, 3, 3)))
    fc_w = IntArray(rng.integers(-3, 4, size=(3, 18)))
    requantize = Requantize(
        (Fraction(1, 3), Fraction(-5, 7), Fraction(1, 1024)),
        (Fraction(1, 2), Fraction(0), Fraction(-3, 8)),
    )
    nodes = (
        Node("conv", Conv(conv_w, i3n, (1, 1), (1, 1)), ("x",), Value("conv", i16, (2, 6, 6))),
        Node("pool", MaxPool((2, 2), (2, 2)), ("conv",), Value("pool", i16, (2, 3, 3))),
        Node("flat", Flatten(), ("pool",), Value("flat", i16, (18,))),
        Node("fc", MatMul(fc_w, i3n), ("flat",), Value("fc", IntType(24, True), (3,))),
        Node("act", requantize, ("fc",), Value("act", u2, (3,))),
    )
    scale = Scale((Fraction(1, 3), Fraction(2, 3), Fraction(1)), (Fraction(-1, 8),))
    return Graph("nn", (Value("x", u4, (1, 6, 6)),), nodes, ("act",), (("act", scale),))


def _conv1d_graph(rng: np.random.Generator) -> Graph:
    """Conv 1-D fanning out to a MultiThreshold and a MulShift; two outputs, one scaled."""
    conv_w = IntArray(rng.integers(-7, 8, size=(3, 2, 3)))
    thresholds = IntArray(np.sort(rng.integers(-40, 40, size=(3, 3)), axis=1))
    nodes = (
        Node("conv", Conv(conv_w, i4, (2,), (1,)), ("x",), Value("conv", i16, (3, 4))),
        Node("thr", MultiThreshold(thresholds), ("conv",), Value("thr", u2, (3, 4))),
        Node(
            "ms",
            MulShift((3, -5, 7), (-4, 0, 12), (3, 0, 5)),
            ("conv",),
            Value("ms", i4, (3, 4)),
        ),
    )
    scale = Scale((Fraction(1, 16),), (Fraction(0),))
    return Graph("hw", (Value("x", i4, (2, 8)),), nodes, ("thr", "ms"), (("ms", scale),))


@pytest.mark.parametrize("make", [_conv2d_graph, _conv1d_graph], ids=["conv2d", "conv1d"])
def test_round_trip_equals_original(make, rng):
    g = verify(make(rng))
    text = print_graph(g)
    parsed = parse_graph(text)
    assert parsed == g
    assert print_graph(parsed) == text


def test_round_trip_keeps_integers_past_int64():
    big = 2**70
    nodes = (
        Node(
            "fc",
            MatMul(IntArray([[big, -big]]), IntType(72, True)),
            ("x",),
            Value("fc", IntType(80, True), (1,)),
        ),
    )
    g = Graph("nn", (Value("x", u2, (2,)),), nodes, ("fc",))
    parsed = parse_graph(print_graph(g))
    assert parsed == g
    assert int(parsed.node("fc").op.weight.array[0, 0]) == big


GOLDEN = """\
graph nn
input x: u4[3]
node fc: MatMul(x) -> fc: i7[2]
  weight = [2, 3] 1 -2 3 0 1 -1
  weight_dtype = i3
node act: Requantize(fc) -> act: u2[2]
  mul = [1/3, -1/2]
  add = [1/2]
output act scale mul=[1/4] add=[0]
"""


def _golden_graph() -> Graph:
    fc = MatMul(IntArray([[1, -2, 3], [0, 1, -1]]), IntType(3, True))
    act = Requantize((Fraction(1, 3), Fraction(-1, 2)), (Fraction(1, 2),))
    nodes = (
        Node("fc", fc, ("x",), Value("fc", IntType(7, True), (2,))),
        Node("act", act, ("fc",), Value("act", u2, (2,))),
    )
    scale = Scale((Fraction(1, 4),), (Fraction(0),))
    return Graph("nn", (Value("x", u4, (3,)),), nodes, ("act",), (("act", scale),))


def test_golden_text():
    assert print_graph(_golden_graph()) == GOLDEN
    assert parse_graph(GOLDEN) == _golden_graph()


def test_elided_text_shows_digest_instead_of_values():
    text = print_graph(_golden_graph(), values=False)
    digest = IntArray([[1, -2, 3], [0, 1, -1]]).digest()
    assert f"  weight = [2, 3] <sha={digest}>\n" in text
    assert text.replace(f"<sha={digest}>", "1 -2 3 0 1 -1") == GOLDEN


def test_parse_ignores_blank_and_comment_lines():
    text = "# a comment\n" + GOLDEN.replace("input x", "\n  # why\ninput x")
    assert parse_graph(text) == _golden_graph()


def _edit(old: str, new: str) -> str:
    assert old in GOLDEN
    return GOLDEN.replace(old, new)


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param(
            "input x: u4[3]\n",
            r"^text line 1: must start with 'graph <stage>', not 'input x: u4\[3\]'$",
            id="no-header",
        ),
        pytest.param(
            _edit("MatMul(x)", "Gemm(x)"),
            r"^text line 3: op must be one of MatMul, Conv, MaxPool, GlobalSumPool, Upsample, "
            r"DepthToSpace, Flatten, Requantize, MultiThreshold, MulShift, Mvau, Thresholding, "
            r"Pad, SlidingWindow, Add, Concat, Vvau, PeakPick, not 'Gemm'$",
            id="unknown-op",
        ),
        pytest.param(
            _edit("input x: u4[3]", "input x u4[3]"),
            r"^text line 2: value must look like 'name: u8\[1, 28, 28\]', not 'x u4\[3\]'$",
            id="bad-input-value",
        ),
        pytest.param(
            _edit("-> act: u2[2]", "-> act: u2(2)"),
            r"^text line 6: value must look like 'name: u8\[1, 28, 28\]', not 'act: u2\(2\)'$",
            id="bad-node-value",
        ),
        pytest.param(
            _edit("1 -2 3 0 1 -1", "<sha=92b17bcf026c>"),
            r"^node fc\.weight: array must be '\[dims\] v v \.\.\.' with values, "
            r"not '\[2, 3\] <sha=92b17bcf026c>'$",
            id="elided-array",
        ),
        pytest.param(
            _edit("  weight_dtype = i3\n", ""),
            r"^node fc: attributes must be \['weight', 'weight_dtype'\], not \['weight'\]$",
            id="missing-attribute",
        ),
        pytest.param(
            _edit("  add = [1/2]\n", "  add = [1/2]\n  shift = (1)\n"),
            r"^node act: attributes must be \['add', 'mul'\], not \['add', 'mul', 'shift'\]$",
            id="extra-attribute",
        ),
        pytest.param(
            _edit("1 -2 3 0 1 -1", "1 -2 3 0 1"),
            r"^node fc\.weight: array \[2, 3\] must have 6 values, not 5$",
            id="too-few-values",
        ),
        pytest.param(
            _edit("1 -2 3 0 1 -1", "1 -2 3 0 1 -1 4"),
            r"^node fc\.weight: array \[2, 3\] must have 6 values, not 7$",
            id="too-many-values",
        ),
        pytest.param(
            _edit("mul = [1/3, -1/2]", "mul = 1/3"),
            r"^node act\.mul: fractions must be in \[\.\.\.\], not '1/3'$",
            id="fractions-without-brackets",
        ),
        pytest.param(
            _edit("output act", "outputs act"),
            r"^text line 9: cannot parse 'outputs act scale mul=\[1/4\] add=\[0\]'$",
            id="unknown-line",
        ),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(IRError, match=message):
        parse_graph(text)


def test_parse_error_names_the_physical_line():
    text = "graph nn\n\n# the input\ninput x u4[3]\n"
    with pytest.raises(IRError, match=r"^text line 4: "):
        parse_graph(text)
