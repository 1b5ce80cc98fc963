"""Whole networks with the multiply-shift Requantizer: the lowering chosen by the resource models
(thresholds at narrow activations, multiply-shift at 8 bits), forcing either, fused into the
MVAU's output stage or standalone (after a depthwise convolution), and an MLP and a small CNN
at 8-bit activations bit-exact in Verilator (PyTorch == exact == RTL)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from cnn_nets import calibrated, check_in_rtl
from streamfold.cost.devices import Family
from streamfold.dse.requantize import cheaper_lowering, lowering_costs, lut_equivalent
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.mulshift import cost as mulshift_cost
from streamfold.hw.mulshift.params import MulShiftParams
from streamfold.ir.graph import Graph
from streamfold.ir.ops import MulShift, Mvau, Requantize
from streamfold.models import mlp
from streamfold.quant import QuantConv1d, QuantInput, QuantLinear, Requantizer
from streamfold.transforms import Lowering, infer_types, lower_requantize

FRAMES = 10


def trained_mlp(act_bits: int) -> nn.Sequential:
    torch.manual_seed(0)
    model = mlp(32, (16,), 5, weight_bits=4, act_bits=act_bits, input_bits=8).train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(48, 32))
    return model.eval()


def conv_net() -> nn.Sequential:
    return nn.Sequential(
        QuantInput(8, scale=1 / 255),
        QuantConv1d(1, 6, 3, padding=1, bias=False, weight_bits=4),
        nn.BatchNorm1d(6),
        Requantizer(8, signed=False),
        QuantConv1d(6, 4, 3, stride=2, bias=True, weight_bits=4),
        nn.BatchNorm1d(4),
        Requantizer(8, signed=True),
        nn.Flatten(),
        QuantLinear(4 * 7, 3, bias=False, weight_bits=4),
    )


def kinds(graph: Graph) -> list[str]:
    return [type(n.op).__name__ for n in graph.nodes]


def uses_mulshift(graph: Graph) -> int:
    """Multiply-shift stages: standalone blocks and those fused into an MVAU."""
    fused = sum(1 for n in graph.nodes if isinstance(n.op, Mvau) and n.op.multiplier)
    return fused + kinds(graph).count("MulShift")


# ---------------------------------------------------------------------- the choice by cost
@pytest.mark.parametrize(("bits", "expected"), [(2, Lowering.THRESHOLDS), (8, Lowering.MULSHIFT)])
def test_cost_chooses_thresholds_narrow_and_mulshift_wide(bits: int, expected: Lowering) -> None:
    g = infer_types(export(trained_mlp(bits), (32,)))
    node = next(n for n, _ in g.ops_of(Requantize))
    costs = lowering_costs(g, node, Family.XILINX7)
    thr, ms = (lut_equivalent(costs[h], Family.XILINX7) for h in Lowering)
    assert (ms < thr) == (expected is Lowering.MULSHIFT)
    assert cheaper_lowering(Family.XILINX7)(g, node) is expected
    kernels = to_kernels(export(trained_mlp(bits), (32,)))
    assert bool(uses_mulshift(kernels)) == (expected is Lowering.MULSHIFT)


def test_mulshift_cost_is_the_blocks_model() -> None:
    g = infer_types(export(trained_mlp(8), (32,)))
    node = next(n for n, _ in g.ops_of(Requantize))
    lowered = lower_requantize(g, Lowering.MULSHIFT).node(node.name)
    assert isinstance(lowered.op, MulShift)
    x = g.value(node.inputs[0])
    p = MulShiftParams(x.shape[0], x.dtype, node.output.dtype, *_constants(lowered.op))
    priced = [
        mulshift_cost.resources(p, NodeFolding(pe=1, mem_style=s), Family.XILINX7) for s in MemStyle
    ]
    cheapest = lowering_costs(g, node, Family.XILINX7)[Lowering.MULSHIFT]
    assert cheapest == min(priced, key=lambda r: lut_equivalent(r, Family.XILINX7))


def _constants(op: MulShift) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    return op.multiplier, op.bias, op.shift


def test_forcing_either_lowering() -> None:
    graph = export(trained_mlp(8), (32,))
    thresholded = to_kernels(graph, Lowering.THRESHOLDS)
    assert kinds(thresholded) == ["Mvau", "Mvau"] and not uses_mulshift(thresholded)
    forced = to_kernels(graph, Lowering.MULSHIFT)
    assert kinds(forced) == ["Mvau", "Mvau"]  # fused: the MVAU's multiply-shift stage
    first = forced.nodes[0].op
    assert isinstance(first, Mvau) and first.thresholds is None and first.multiplier


def test_chooser_is_asked_only_where_both_lowerings_are_exact() -> None:
    g = infer_types(export(trained_mlp(8), (32,)))
    asked: list[str] = []

    def always_mulshift(graph: Graph, node: object) -> Lowering:
        asked.append(node.name)
        return Lowering.MULSHIFT

    lowered = lower_requantize(g, always_mulshift)
    assert asked == [n.name for n, _ in g.ops_of(Requantize)]
    assert any(isinstance(n.op, MulShift) for n in lowered.nodes)


# ------------------------------------------------------------------ whole networks in RTL
@pytest.mark.slow
@pytest.mark.rtl
def test_mlp_8bit_with_mulshift_is_bit_exact_in_rtl(tmp_path: Path, rtl_cache: Path) -> None:
    model = trained_mlp(8)
    x = torch.rand(FRAMES, 32)
    assert uses_mulshift(to_kernels(export(model, (32,)))) == 1  # chosen by cost, fused
    check_in_rtl(model, x, (32,), "balanced", tmp_path / "build")


@pytest.mark.slow
@pytest.mark.rtl
def test_cnn_8bit_with_mulshift_is_bit_exact_in_rtl(tmp_path: Path, rtl_cache: Path) -> None:
    model = conv_net()
    x = calibrated(model, (1, 16), seed=4)[:FRAMES]
    assert uses_mulshift(to_kernels(export(model, (1, 16)))) == 2
    check_in_rtl(model, x, (1, 16), "balanced", tmp_path / "build", latency_rel=0.1)


def test_compile_forces_or_chooses_the_requantizer() -> None:
    from streamfold.api import compile as sf_compile
    from streamfold.errors import StreamfoldError

    model = trained_mlp(8)
    assert uses_mulshift(sf_compile(model, (32,)).kernels)
    assert not uses_mulshift(sf_compile(model, (32,), requantize="thresholds").kernels)
    with pytest.raises(
        StreamfoldError,
        match=r"^compile: requantize must be one of \('thresholds', 'mulshift'\) or None, "
        r"not 'shift'$",
    ):
        sf_compile(model, (32,), requantize="shift")


def gap_net() -> nn.Sequential:
    """Global pooling, Flatten, an 8-bit Requantizer, FC: the Requantizer has no matrix product
    before it, so it is a standalone multiply-shift block (the Flatten sinks past it)."""
    return nn.Sequential(
        QuantInput(8, scale=1 / 255),
        QuantConv1d(1, 4, 3, bias=False, weight_bits=4),
        nn.BatchNorm1d(4),
        Requantizer(8, signed=False),
        nn.AdaptiveAvgPool1d(1),
        nn.Flatten(),
        Requantizer(8, signed=False),
        QuantLinear(4, 3, bias=False, weight_bits=4),
    )


@pytest.mark.slow
@pytest.mark.rtl
def test_standalone_mulshift_after_pooling_is_bit_exact_in_rtl(
    tmp_path: Path, rtl_cache: Path
) -> None:
    model = gap_net()
    x = calibrated(model, (1, 12), seed=2)[:FRAMES]
    kernels = to_kernels(export(model, (1, 12)))
    assert kinds(kernels).count("MulShift") == 1 and uses_mulshift(kernels) == 2
    check_in_rtl(model, x, (1, 12), "folded", tmp_path / "build", latency_rel=0.1)
