"""L0/L1: the join ops (Add, Concat) and grouped Conv in the IR: text, verify, types, meaning."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from streamfold.errors import IRError, SimulationError
from streamfold.ir import IntArray, IntType, parse_graph, print_graph, verify
from streamfold.ir.graph import Graph, Node, Value
from streamfold.ir.ops import Add, Concat, Conv, Requantize
from streamfold.sim.exact import run
from streamfold.transforms.infer_types import infer_types
from streamfold.transforms.lower_requantize import Lowering
from streamfold.transforms.streamline import streamline

# dw is i7 [-64, 63] as declared, b is i4 [-8, 7]: 3 * dw - 2 * b reaches [-206, 205], so i9.
DAG = """\
graph nn
input a: u4[2, 3, 3]
input b: i4[2, 3, 3]
node dw: Conv(a) -> dw: i7[2, 3, 3]
  weight = [2, 1, 1, 1] 3 -2
  weight_dtype = i3
  stride = (1, 1)
  padding = (0, 0)
  groups = 2
node sum: Add(dw, b) -> sum: i9[2, 3, 3]
  factors = (3, -2)
node cat: Concat(sum, b) -> cat: i9[4, 3, 3]
node act: Requantize(cat) -> act: u2[4, 3, 3]
  mul = [1/64, 1/64, 1/4, 1/4]
  add = [1/2]
output act
"""


def test_text_round_trip_of_joins_and_groups() -> None:
    g = parse_graph(DAG)
    assert print_graph(g) == DAG
    assert g.node("sum").inputs == ("dw", "b") and g.node("dw").op == Conv(
        IntArray([[[[3]]], [[[-2]]]]), IntType(3, True), (1, 1), (0, 0), 2
    )
    verify(g)


def test_groups_1_is_not_printed_and_may_be_omitted() -> None:
    dense = DAG.replace("[2, 1, 1, 1] 3 -2", "[2, 2, 1, 1] 3 0 0 -2").replace("  groups = 2\n", "")
    g = parse_graph(dense)
    assert g.node("dw").op.groups == 1  # type: ignore[union-attr]
    assert print_graph(g) == dense


def test_infer_types_of_joins() -> None:
    g = infer_types(parse_graph(DAG))
    # dw: 3a in [0, 45], -2a in [-30, 0]: [-30, 45] -> i7; sum: 3 * dw - 2 * b in
    # [-90 - 14, 135 + 16] = [-104, 151] -> i9; cat of i9 and i4 -> i9
    assert [str(n.output.dtype) for n in g.nodes] == ["i7", "i9", "i9", "u2"]
    same = Graph(
        "nn",
        g.inputs,
        (Node("c", Concat(), ("b", "b"), Value("c", IntType(1, False), (4, 3, 3))),),
        ("c",),
    )
    assert str(infer_types(same).nodes[0].output.dtype) == "i4"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("Add(dw, b)", "Add(dw)"),
            r"^node sum \(Add, stage nn\): must have 2 inputs, not 1$",
        ),
        (
            ("-> sum: i9", "-> sum: i8"),
            r"^node sum \(Add, stage nn\): output type must hold \[-206, 205\], not i8$",
        ),
        (
            ("factors = (3, -2)", "factors = (3, 0)"),
            r"^node sum \(Add, stage nn\): factors must be >= 2 nonzero integers, not \(3, 0\)$",
        ),
        (
            ("Concat(sum, b)", "Concat(sum)"),
            r"^node cat \(Concat, stage nn\): must have at least 2 inputs, not 1$",
        ),
        (
            ("Requantize(cat)", "Requantize(cat, b)"),
            r"^node act \(Requantize, stage nn\): must have exactly one input, not 2$",
        ),
        (
            ("groups = 2", "groups = 1"),
            r"^node dw \(Conv, stage nn\): Conv: input shape must be \(1, <2 spatial>\), not "
            r"\(2, 3, 3\)$",
        ),
        (
            ("groups = 2", "groups = 3"),
            r"^node dw \(Conv, stage nn\): Conv: groups must be >= 1 and divide out_channels=2, "
            r"not 3$",
        ),
    ],
)
def test_verify_rejects_malformed_joins(edit: tuple[str, str], message: str) -> None:
    text = DAG.replace(*edit)
    with pytest.raises(IRError, match=message):
        verify(parse_graph(text))


def test_verify_rejects_mismatched_join_shapes() -> None:
    text = DAG.replace("input b: i4[2, 3, 3]", "input b: i4[2, 3, 2]")
    with pytest.raises(
        IRError, match=r"^node sum \(Add, stage nn\): Add: input shapes must be equal"
    ):
        verify(parse_graph(text))
    text = DAG.replace("Concat(sum, b)", "Concat(sum, c)")
    text = text.replace("input b: i4[2, 3, 3]\n", "input b: i4[2, 3, 3]\ninput c: i4[2, 3, 2]\n")
    with pytest.raises(IRError, match=r"^node cat \(Concat, stage nn\): Concat: inputs must agree"):
        verify(parse_graph(text))


def _reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The DAG in plain PyTorch float64 (exact below 2**53) and Fractions."""
    w = torch.tensor([[[[3.0]]], [[[-2.0]]]], dtype=torch.float64)
    dw = F.conv2d(torch.from_numpy(a).double(), w, groups=2).numpy().astype(np.int64)
    s = 3 * dw - 2 * b
    cat = np.concatenate([s, b], axis=1)
    mul = [Fraction(1, 64)] * 2 + [Fraction(1, 4)] * 2
    out = np.empty_like(cat)
    for idx, v in np.ndenumerate(cat):
        out[idx] = min(max(round(int(v) * mul[idx[1]] + Fraction(1, 2)), 0), 3)
    return out


def test_exact_meaning_and_streamlining_of_joins() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 16, (64, 2, 3, 3))
    b = rng.integers(-8, 8, (64, 2, 3, 3))
    g = infer_types(parse_graph(DAG))
    out = run(g, {"a": a, "b": b})["act"]
    np.testing.assert_array_equal(out, _reference(a, b))
    for lowering in (Lowering.THRESHOLDS, Lowering.MULSHIFT):
        hw = streamline(g, lowering)
        assert not any(isinstance(n.op, Requantize) for n in hw.nodes)
        np.testing.assert_array_equal(run(hw, {"a": a, "b": b})["act"], out)


def test_add_beyond_int64_products_is_exact() -> None:
    big = 1 << 40
    x = Value("x", IntType(24, True), (2,))
    node = Node("s", Add((big, -big)), ("x", "x"), Value("s", IntType(66, True), (2,)))
    g = Graph("nn", (x,), (node,), ("s",))
    xs = np.array([[(1 << 23) - 1, -(1 << 23)]])
    np.testing.assert_array_equal(run(g, {"x": xs})["s"], [[0, 0]])
    node = Node("s", Add((big, big)), ("x", "x"), Value("s", IntType(66, True), (2,)))
    with pytest.raises(SimulationError, match="exceeds 63 bits"):
        run(Graph("nn", (x,), (node,), ("s",)), {"x": xs})
