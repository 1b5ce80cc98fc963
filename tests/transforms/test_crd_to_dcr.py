"""crd_to_dcr (run by lower_to_kernels): a CRD DepthToSpace right after a convolution becomes
DCR with the convolution's rows permuted, computing the same integers; other producers keep
CRD."""

from __future__ import annotations

import numpy as np
from torch import nn

from cnn_nets import calibrated
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.ir import DepthToSpace, DepthToSpaceMode, Graph, IntType, Node, Upsample, Value
from streamfold.ir.ops import Mvau
from streamfold.quant import QuantConv2d, QuantInput, Requantizer
from streamfold.sim.exact import run_single
from streamfold.transforms.crd_to_dcr import crd_to_dcr


def _net(threshold: bool) -> nn.Sequential:
    layers: list[nn.Module] = [
        QuantInput(4, scale=1 / 15),
        QuantConv2d(2, 12, 3, bias=False, weight_bits=3),
    ]
    if threshold:
        layers += [nn.BatchNorm2d(12), Requantizer(3, signed=False)]
    return nn.Sequential(*layers, nn.PixelShuffle(2))


def _check(threshold: bool) -> Graph:
    model = _net(threshold)
    x = calibrated(model, (2, 6, 5), seed=3)
    nn_graph = export(model, (2, 6, 5))
    kernels = to_kernels(nn_graph)
    codes = input_codes(model, x.numpy())
    np.testing.assert_array_equal(run_single(kernels, codes), run_single(nn_graph, codes))
    return kernels


def test_after_a_thresholded_convolution_becomes_dcr() -> None:
    kernels = _check(threshold=True)
    (d2s,) = (n.op for n in kernels.nodes if isinstance(n.op, DepthToSpace))
    assert d2s == DepthToSpace(2, DepthToSpaceMode.DCR)
    (mvau,) = (n.op for n in kernels.nodes if isinstance(n.op, Mvau))
    assert mvau.thresholds is not None and mvau.thresholds.shape[0] == 12


def test_after_an_accumulator_becomes_dcr() -> None:
    kernels = _check(threshold=False)
    assert DepthToSpace(2, DepthToSpaceMode.DCR) in [n.op for n in kernels.nodes]


def test_other_producers_keep_crd() -> None:
    u2 = IntType(2, False)
    g = Graph(
        "hw",
        (Value("x", u2, (8, 2, 2)),),
        (
            Node("up", Upsample((2, 2)), ("x",), Value("up", u2, (8, 4, 4))),
            Node("d", DepthToSpace(2, DepthToSpaceMode.CRD), ("up",), Value("d", u2, (2, 8, 8))),
        ),
        ("d",),
        (),
    )
    assert crd_to_dcr(g) == g
