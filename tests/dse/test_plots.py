"""The search's plots and front: readable axes for small designs, roofs and points in their
precision's colour, no front point dominated by the max-fps design, pareto -o DIR."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib
import pytest
import torch

from streamfold.cli import main
from streamfold.cost.devices import device
from streamfold.dse.plots import (
    PRECISION_COLOURS,
    draw_pareto,
    draw_roofline,
    graph_bits,
    pareto_limits,
    roofs_of,
)
from streamfold.dse.report import merge_front
from streamfold.dse.roofline import workload
from streamfold.dse.search import Choice, Space, max_fps, pareto
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export
from streamfold.ir import print_graph
from streamfold.ir.graph import Graph
from streamfold.models import mlp
from streamfold.synth.resources import Resources

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import to_rgba

DEV = device("xc7z020")


@pytest.fixture(scope="module")
def graph() -> Graph:
    torch.manual_seed(0)
    model = mlp(36, (24,), 6, weight_bits=2, act_bits=2, input_bits=4).train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(64, 36))
    return to_kernels(export(model.eval(), (36,)))


@pytest.fixture(scope="module")
def space(graph: Graph) -> Space:
    return Space(graph, DEV)


def _dominated(c: Choice, by: Choice) -> bool:
    return (
        by.interval <= c.interval
        and by.luts <= c.luts
        and (by.interval, by.luts)
        != (
            c.interval,
            c.luts,
        )
    )


def test_front_with_max_fps_has_no_dominated_point(graph: Graph, space: Space) -> None:
    fastest = max_fps(graph, DEV, 100.0, 1.0, space=space)
    front = merge_front(pareto(graph, DEV, 100.0, space=space), (fastest,))
    assert not any(_dominated(c, by) for c in front for by in (*front, fastest))
    assert any(c.interval <= fastest.interval and c.luts <= fastest.luts for c in front)
    assert [c.luts for c in front] == sorted(c.luts for c in front)
    assert [c.interval for c in front] == sorted((c.interval for c in front), reverse=True)


def _with_luts(c: Choice, luts: int) -> Choice:
    est = c.estimate
    layer = dataclasses.replace(est.layers[0], resources=Resources(lut=luts))
    return Choice(c.point, dataclasses.replace(est, layers=(layer,)))


def test_merge_drops_the_point_the_extra_one_dominates(graph: Graph, space: Space) -> None:
    front = pareto(graph, DEV, 100.0, space=space)
    fast = max(front, key=lambda c: c.frames_per_second)
    cheaper = _with_luts(fast, fast.luts - 1)  # as fast, one LUT fewer
    merged = merge_front(front, (cheaper,))
    assert cheaper in merged and fast not in merged
    assert len(merged) == len(front)
    assert merge_front(front, (_with_luts(fast, fast.luts + 1),)) == front  # dominated: out


def test_pareto_axes_span_a_small_design_not_the_device(space: Space, graph: Graph) -> None:
    front = pareto(graph, DEV, 100.0, space=space)
    fig, ax = plt.subplots()
    draw_pareto(ax, front, front[0], None)
    lo, hi = ax.get_xlim()
    plt.close(fig)
    luts = [c.luts for c in front]
    assert max(luts) < DEV.luts / 4  # a small design: the device's edge would squash it
    assert lo <= min(luts) and max(luts) <= hi < DEV.luts
    assert (hi - lo) < 1.5 * (max(luts) - min(luts))
    assert pareto_limits([100, 100]) == (98.0, 102.0)  # one point: 8 % of a quarter of it


def test_roofline_colours_match_their_precision(space: Space, graph: Graph) -> None:
    front = pareto(graph, DEV, 100.0, space=space)
    roofs = roofs_of(graph, space, 100.0)
    assert (roofs[0].weight_bits, roofs[0].act_bits) == graph_bits(graph) == (2, 2)
    fig, ax = plt.subplots()
    draw_roofline(ax, roofs, workload(graph), front)
    lines = {line.get_label(): line.get_color() for line in ax.get_lines()}
    points = ax.collections[0]
    plt.close(fig)
    for w, a in PRECISION_COLOURS:
        assert to_rgba(lines[f"W{w}A{a} roof"]) == to_rgba(PRECISION_COLOURS[(w, a)])
    assert points.get_label() == "design points (W2A2)"
    assert tuple(points.get_facecolor()[0]) == to_rgba(PRECISION_COLOURS[(2, 2)])
    assert len(set(PRECISION_COLOURS.values())) == len(PRECISION_COLOURS)


def test_pareto_out_is_a_directory(
    graph: Graph,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = tmp_path / "m.sfir"
    model.write_text(print_graph(graph))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    assert main(["explore", str(model), "--goal", "pareto", "-o", "front", "-q"]) == 0
    written = sorted(p.name for p in (cwd / "front").iterdir())
    assert [p.name for p in cwd.iterdir()] == ["front"]
    out = capsys.readouterr().out
    n = int(out.split("pareto front on xc7z020 at 100 MHz (")[1].split(" points")[0])
    assert len(written) == n and all(name.startswith("point_") for name in written)
    assert f"wrote {n} design points to front (point_<cycles>c.json)" in out
