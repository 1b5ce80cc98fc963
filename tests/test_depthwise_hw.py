"""The MobileNet-style depthwise-separable net (tests/dag_nets.py "depthwise": depthwise 3x3
convolutions, one of stride 2, lowered to SlidingWindow + VVAU) in hardware: PyTorch eval codes
== the exact executor == Verilator under 25 % stalls, at the predicted cycles per frame (2 %)
and latency (10 %), for foldings that pair each window with its VVAU in both legal ways
(window SIMD = VVAU PE; VVAU SIMD > 1 with PE = channels behind a width converter)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dag_nets import SHAPE, digits, trained  # tests/ is on sys.path through its conftest
from streamfold.codegen.top import stitch, write_build
from streamfold.cost.estimate import estimate_pipeline
from streamfold.cost.fifo_sizing import with_sized_fifos
from streamfold.dse.design_point import DesignPoint, folding_preset
from streamfold.dse.setfolding import set_folding
from streamfold.errors import IRError
from streamfold.flow import to_kernels
from streamfold.frontend.torch_fx import export_module, input_codes
from streamfold.hw.registry import block_of
from streamfold.ir.graph import Graph
from streamfold.ir.ops import SlidingWindow, Vvau
from streamfold.sim.design import simulate_build
from streamfold.sim.exact import run_single

FRAMES = 4


def kernel_graph(precision: str) -> tuple[torch.nn.Module, Graph]:
    model = trained("depthwise", precision)
    return model, to_kernels(export_module(model, SHAPE))


def check_pairings(graph: Graph, point: DesignPoint) -> list[tuple[int, int, int]]:
    """Every VVAU's folding is legal and its window takes its PE as SIMD: (window SIMD, PE,
    SIMD) per VVAU."""
    pairs = []
    for node in graph.nodes:
        if not isinstance(node.op, Vvau):
            continue
        window = graph.producer(node.inputs[0])
        assert window is not None and isinstance(window.op, SlidingWindow)
        block = block_of(node)
        folding = point.folding(node.name)
        block.check_folding(node.name, block.params(graph, node), folding)
        pairs.append((point.folding(window.name).simd, folding.pe, folding.simd))
        assert pairs[-1][0] == folding.pe
    return pairs


def test_lowering_gives_a_vvau_per_depthwise_conv() -> None:
    _, graph = kernel_graph("w2a2")
    assert [type(n.op) for n in graph.nodes].count(Vvau) == 2


@pytest.mark.parametrize(
    "preset, expected",
    [
        ("folded", [(1, 1, 1), (1, 1, 1)]),
        ("cycles=256", [(8, 8, 3), (16, 16, 1)]),
        ("balanced", [(8, 8, 9), (16, 16, 3)]),
    ],
)
def test_presets_pair_each_window_with_its_vvau(
    preset: str, expected: list[tuple[int, int, int]]
) -> None:
    _, graph = kernel_graph("w2a2")
    assert check_pairings(graph, folding_preset(graph, preset)) == expected


def test_finn_set_folding_raises_vvau_pe_before_simd() -> None:
    """FINN+'s SetFolding (cycles <= target, dse.setfolding) raises a VVAU's PE first and
    leaves SIMD at 1 while PE reaches the target."""
    _, graph = kernel_graph("w2a2")
    assert check_pairings(graph, set_folding(graph, 64)) == [(8, 8, 1), (4, 4, 1)]


def test_grouped_pointwise_conv_of_mobilenet_stays_refused() -> None:
    model = trained("mobilenet", "w2a2")
    with pytest.raises(IRError, match=r"^node features_4_0 \(Conv\): groups must be 1 or the"):
        to_kernels(export_module(model, SHAPE))


@pytest.mark.rtl
@pytest.mark.parametrize(
    "precision, preset",
    [
        pytest.param("w2a2", "cycles=256", id="w2a2-window-simd-is-pe"),
        pytest.param("w4a4", "balanced", id="w4a4-vvau-simd-behind-converter"),
        pytest.param("w2a2", "balanced", marks=pytest.mark.slow, id="w2a2-balanced"),
        pytest.param("w4a4", "cycles=256", marks=pytest.mark.slow, id="w4a4-cycles-256"),
        pytest.param("w2a2", "folded", marks=pytest.mark.slow, id="w2a2-folded"),
        pytest.param("w4a4", "folded", marks=pytest.mark.slow, id="w4a4-folded"),
    ],
)
def test_depthwise_net_is_exact_in_rtl_at_the_predicted_rate(
    tmp_path: Path, rtl_cache: Path, precision: str, preset: str
) -> None:
    model, graph = kernel_graph(precision)
    x, _ = digits(FRAMES)
    with torch.no_grad():
        expected = model(x).exact.codes.numpy()
    codes = input_codes(model, x.numpy())
    reference = run_single(graph, codes)
    np.testing.assert_array_equal(reference, expected)
    reference = reference.reshape(FRAMES, -1)
    point = with_sized_fifos(graph, folding_preset(graph, preset))
    check_pairings(graph, point)
    design = stitch(graph, point)
    est = estimate_pipeline(design)
    build = write_build(design, tmp_path / "depthwise")
    got, _ = simulate_build(build, codes, stall_in=0.25, stall_out=0.25, seed=3)
    np.testing.assert_array_equal(got, reference)
    got, run = simulate_build(build, codes)
    np.testing.assert_array_equal(got, reference)
    print(
        f"\ndepthwise {precision} {preset}: cycles/frame {run.cycles_per_frame} (predicted "
        f"{est.interval}), latency {run.latency_offered} (predicted {est.latency})"
    )
    assert run.cycles_per_frame == pytest.approx(est.interval, rel=0.02)
    assert run.latency_offered == pytest.approx(est.latency, rel=0.10)
