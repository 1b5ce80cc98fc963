"""Folding search on a random-weight TFC-W1A1 (784-64-64-64-10) for xc7z020 at 100 MHz:
max-fps, min-resources, the Pareto front, the SetFolding baseline and the infeasible goals."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from streamfold.cli import main
from streamfold.codegen.top import stitch, write_build
from streamfold.cost.design_cost import estimate_build
from streamfold.cost.devices import device
from streamfold.dse.search import Space, evaluate, max_fps, min_resources, over_budget, pareto
from streamfold.dse.setfolding import set_folding
from streamfold.errors import FoldingError, ResourceError
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export
from streamfold.hw.block import MemStyle
from streamfold.ir.graph import Graph
from streamfold.ir.text import print_graph
from streamfold.models import tfc

CLOCK_MHZ = 100.0
FINN_CYCLES = 64  # FINN's TFC-W1A1 on the PYNQ-Z1: 64 cycles/frame, 1.56 M frames/s
FINN_FPS = CLOCK_MHZ * 1e6 / FINN_CYCLES
DEV = device("xc7z020")


@pytest.fixture(scope="module")
def graph() -> Graph:
    torch.manual_seed(0)
    return to_kernels(export(tfc(1, 1), (784,)))


@pytest.fixture(scope="module")
def space(graph: Graph) -> Space:
    return Space(graph, DEV)


def test_max_fps_fits_and_reaches_finn(graph: Graph, space: Space) -> None:
    choice = max_fps(graph, DEV, CLOCK_MHZ, space=space)
    assert over_budget(choice.estimate, 0.7) is None
    assert choice.luts <= 0.7 * DEV.luts
    assert choice.interval <= FINN_CYCLES
    assert choice.frames_per_second >= FINN_FPS
    assert re.match(r"^the next faster interval, \d+ cycles/frame, needs LUT", choice.reason)


def test_min_resources_beats_setfolding_at_finn_target(graph: Graph, space: Space) -> None:
    ours = min_resources(graph, DEV, FINN_FPS, CLOCK_MHZ, space=space)
    # FINN+'s SetFolding accepts a layer at cycles <= target: target 64 reaches 64
    base = evaluate(graph, set_folding(graph, FINN_CYCLES), DEV, CLOCK_MHZ)
    assert ours.interval == base.interval == FINN_CYCLES
    per_klut = [c.frames_per_second / (c.luts / 1000) for c in (ours, base)]
    print(
        f"\nours: {ours.luts} LUT, {per_klut[0]:,.0f} frames/s per kLUT; "
        f"SetFolding: {base.luts} LUT, {per_klut[1]:,.0f}; ratio {per_klut[0] / per_klut[1]:.2f}"
    )
    assert per_klut[0] >= 1.3 * per_klut[1]
    assert ours.luts <= 0.75 * base.luts


def test_the_win_comes_from_folding_and_memory_style(graph: Graph) -> None:
    """Same memory style as SetFolding: fewer LUTs from folding alone; SetFolding given block
    RAM too: still fewer LUTs with the searched folding."""
    distributed = Space(graph, DEV, frozenset({MemStyle.DISTRIBUTED}))
    ours = min_resources(graph, DEV, FINN_FPS, CLOCK_MHZ, space=distributed)
    base = evaluate(graph, set_folding(graph, FINN_CYCLES), DEV, CLOCK_MHZ)
    assert ours.interval == FINN_CYCLES and ours.luts < 0.9 * base.luts
    block = evaluate(graph, set_folding(graph, FINN_CYCLES, MemStyle.BLOCK), DEV, CLOCK_MHZ)
    both = min_resources(graph, DEV, FINN_FPS, CLOCK_MHZ)
    assert both.luts < 0.9 * block.luts


def test_pareto_front_is_monotone(graph: Graph, space: Space) -> None:
    front = pareto(graph, DEV, CLOCK_MHZ, min_cycles=32, max_cycles=1024, space=space)
    assert len(front) >= 5
    for a, b in itertools.pairwise(front):
        assert b.luts > a.luts
        assert b.frames_per_second > a.frames_per_second
    # FINN's interval and the max-fps choice are on the front
    assert {FINN_CYCLES, 32} <= {c.interval for c in front}


def test_estimate_of_a_built_front_point_reproduces_it(
    graph: Graph, space: Space, tmp_path: Path
) -> None:
    front = pareto(graph, DEV, CLOCK_MHZ, min_cycles=64, max_cycles=128, space=space)
    choice = front[0]
    out = write_build(stitch(graph, choice.point), tmp_path / "build")
    assert estimate_build(out, DEV.name, CLOCK_MHZ).to_json() == choice.estimate.to_json()


def test_fps_beyond_the_device_is_a_resource_error(graph: Graph, space: Space) -> None:
    message = (
        r"^xc7z020: 50,000,000 frames/s at 100 MHz is beyond the device: the best within "
        r"70 % of LUTs is 3,125,000 frames/s \(32 cycles/frame\)$"
    )
    with pytest.raises(ResourceError, match=message):
        min_resources(graph, DEV, 5e7, CLOCK_MHZ, space=space)


def test_a_network_that_never_fits_is_a_resource_error(graph: Graph) -> None:
    tiny = replace(DEV, luts=300)  # fully folded: 381 LUTs estimated (2026-12-05)
    message = (
        r"^xc7z020: the network does not fit even fully folded: LUT \d[\d,]* of 300 \(\d+ %\)$"
    )
    with pytest.raises(ResourceError, match=message):
        max_fps(graph, tiny, CLOCK_MHZ)


def test_a_space_without_styles_is_a_folding_error(graph: Graph) -> None:
    with pytest.raises(
        FoldingError, match=r"^quantlinear2: has no legal folding with memory style $"
    ):
        Space(graph, DEV, frozenset())


def test_cli_explore_writes_a_point_that_build_accepts(
    graph: Graph, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "tfc.sfir"
    model.write_text(print_graph(graph))
    point = tmp_path / "point.json"
    argv = ["explore", str(model), "--goal", "min-resources", "--fps", "1562500", "-o", str(point)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "bottleneck:" in text and "64 cycles/frame" in text
    assert main(["build", str(model), "-o", str(tmp_path / "b"), "--folding", str(point)]) == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["predicted"]["cycles_per_frame"] == FINN_CYCLES


def test_cli_min_resources_needs_fps(graph: Graph, tmp_path: Path) -> None:
    model = tmp_path / "tfc.sfir"
    model.write_text(print_graph(graph))
    assert main(["explore", str(model), "--goal", "min-resources"]) == 1


@pytest.mark.slow
@pytest.mark.rtl
def test_max_fps_point_runs_at_its_predicted_rate_in_verilator(
    graph: Graph, space: Space, tmp_path: Path
) -> None:
    import numpy as np

    from streamfold.sim.design import simulate_build
    from streamfold.sim.exact import run_single

    choice = max_fps(graph, DEV, CLOCK_MHZ, space=space)
    out = write_build(stitch(graph, choice.point), tmp_path / "build")
    x = np.random.default_rng(0).integers(0, 256, size=(40, 784))
    result, run = simulate_build(out, x)
    np.testing.assert_array_equal(result, run_single(graph, x))
    print(
        f"\nmax-fps point: {run.cycles_per_frame:.2f} cycles/frame measured, "
        f"{choice.interval} predicted"
    )
    assert abs(run.cycles_per_frame - choice.interval) <= 0.02 * choice.interval
