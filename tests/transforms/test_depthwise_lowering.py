"""L1: a depthwise convolution lowers to [Pad] + SlidingWindow + Vvau (thresholds fused), with
the same integers as the nn graph; grouped ones are refused naming the node."""

from __future__ import annotations

import numpy as np
import pytest

from dag_nets import (  # tests/ is on sys.path through its conftest
    PRECISIONS,
    SHAPE,
    digits,
    trained,
)
from streamfold.errors import IRError
from streamfold.frontend.torch_fx import export_module, input_codes
from streamfold.hw.registry import block_of
from streamfold.ir import IntArray, IntType, parse_graph, print_graph
from streamfold.ir.ops import Vvau
from streamfold.sim.exact import run_single
from streamfold.transforms.lower_to_kernels import lower_to_kernels
from streamfold.transforms.streamline import streamline


@pytest.mark.parametrize("precision", list(PRECISIONS))
def test_depthwise_net_lowers_to_vvau_with_the_same_integers(precision: str) -> None:
    model = trained("depthwise", precision, steps=3)
    x, _ = digits(32)
    codes = input_codes(model, x.numpy())
    graph = export_module(model, SHAPE)
    kernels = lower_to_kernels(streamline(graph))
    vvaus = [n for n in kernels.nodes if isinstance(n.op, Vvau)]
    assert [n.name for n in vvaus] == ["features_1_0", "features_3_0"]
    assert all(n.op.thresholds is not None for n in vvaus)  # type: ignore[union-attr]
    assert kernels.node("features_3_0").inputs == ("features_3_0_swg",)
    np.testing.assert_array_equal(run_single(kernels, codes), run_single(graph, codes))
    assert parse_graph(print_graph(kernels)) == kernels
    assert block_of(vvaus[0]).op_type is Vvau  # the VVAU block (tests/hw/test_vvau.py)


VVAU = """\
graph hw
input x: u2[6, 2, 2]
node dw: Vvau(x) -> dw: i6[2, 2, 2]
  weight = [2, 3] 1 -2 3 -1 0 2
  weight_dtype = i3
  thresholds = none
output dw
"""


def test_vvau_meaning_by_hand() -> None:
    g = parse_graph(VVAU)
    x = np.arange(24).reshape(1, 6, 2, 2) % 4  # channel k * 2 + c
    got = run_single(g, x)
    for c, row in enumerate(([1, -2, 3], [-1, 0, 2])):
        want = sum(w * x[0, k * 2 + c] for k, w in enumerate(row))
        np.testing.assert_array_equal(got[0, c], want)
    assert g.nodes[0].op == Vvau(IntArray([[1, -2, 3], [-1, 0, 2]]), IntType(3, True), None)


def test_vvau_input_must_be_windows() -> None:
    with pytest.raises(
        IRError, match=r"Vvau: input must be windows \(6, <spatial>\), not \(5, 2, 2\)"
    ):
        from streamfold.ir import verify

        verify(parse_graph(VVAU.replace("u2[6, 2, 2]", "u2[5, 2, 2]")))


def test_grouped_convolution_is_refused_naming_the_node() -> None:
    graph = streamline(export_module(trained("mobilenet", "w2a2", steps=1), SHAPE))
    with pytest.raises(
        IRError,
        match=r"^node features_4_0 \(Conv\): groups must be 1 or the channels \(depthwise, one "
        r"filter per channel\), not 4 for weights \[16, 4, 1, 1\]: grouped convolutions have no "
        r"hardware block yet$",
    ):
        lower_to_kernels(graph)
