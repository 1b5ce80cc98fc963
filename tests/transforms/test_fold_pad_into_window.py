"""fold_pad_into_window (the samples=N preset's graph): a 1-D "same" Pad feeding only a window
moves into it, computing the same integers (a non-zero pad value too); other Pads stay."""

from __future__ import annotations

import numpy as np
from torch import nn

from cnn_nets import calibrated
from streamfold.dse.design_point import preset_graph
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.ir import Graph, IntType, Node, Value, verify
from streamfold.ir.ops import Pad, SlidingWindow
from streamfold.ir.text import parse_graph, print_graph
from streamfold.quant import QuantConv1d, QuantConv2d, QuantInput, Requantizer
from streamfold.sim.exact import run_single
from streamfold.transforms.fold_pad_into_window import fold_pad_into_window

u4 = IntType(4, False)


def test_same_padded_1d_convolutions_fold_and_compute_the_same() -> None:
    model = nn.Sequential(
        QuantInput(4, scale=1 / 15),
        QuantConv1d(1, 3, 5, padding=2, bias=False, weight_bits=3),
        nn.BatchNorm1d(3),
        Requantizer(3, signed=False),
        QuantConv1d(3, 2, 3, padding=1, bias=False, weight_bits=3),
    )
    x = calibrated(model, (1, 24), seed=2)
    kernels = to_kernels(export(model, (1, 24)))
    folded = verify(fold_pad_into_window(kernels))
    assert not [n for n in folded.nodes if isinstance(n.op, Pad)]
    windows = [n.op for n in folded.nodes if isinstance(n.op, SlidingWindow)]
    assert [(w.pads, w.value) for w in windows] == [((2, 2), 0), ((1, 1), 0)]
    codes = input_codes(model, x.numpy())
    np.testing.assert_array_equal(run_single(folded, codes), run_single(kernels, codes))
    assert parse_graph(print_graph(folded)) == folded
    assert preset_graph(kernels, "samples=4") == folded
    assert preset_graph(kernels, "samples=1") == kernels
    assert preset_graph(kernels, "balanced") == kernels


def _pad_window(pads: tuple[int, ...], value: int, kernel: int, stride: int) -> Graph:
    x = Value("x", u4, (2, 10))
    padded = Value("p", u4, (2, 10 + sum(pads)))
    out = (10 + sum(pads) - kernel) // stride + 1
    return verify(
        Graph(
            "hw",
            (x,),
            (
                Node("pad", Pad(pads, value), ("x",), padded),
                Node(
                    "w",
                    SlidingWindow((kernel,), (stride,)),
                    ("p",),
                    Value("w", u4, (2 * kernel, out)),
                ),
            ),
            ("w",),
        )
    )


def test_a_non_zero_pad_value_folds_exactly() -> None:
    g = _pad_window((1, 2), 9, 4, 1)
    folded = fold_pad_into_window(g)
    assert [n.op for n in folded.nodes] == [SlidingWindow((4,), (1,), (1, 2), 9)]
    x = np.random.default_rng(1).integers(0, 16, (3, 2, 10))
    np.testing.assert_array_equal(run_single(folded, x), run_single(g, x))


def test_pads_the_window_hardware_does_not_take_stay() -> None:
    for g in (_pad_window((2, 2), 0, 3, 1), _pad_window((1, 1), 0, 3, 2)):  # not "same"
        assert fold_pad_into_window(g) == g
    model = nn.Sequential(  # 2-D
        QuantInput(4, scale=1 / 15), QuantConv2d(1, 2, 3, padding=1, bias=False, weight_bits=3)
    )
    kernels = to_kernels(export(model, (1, 6, 6)))
    assert fold_pad_into_window(kernels) == kernels
