"""The Fmax model (cost.fmax): path features from a design, the prediction, the fit, and what
``streamfold estimate`` prints with it. Fast: no place and route (bench/fmax_ecp5.py measures)."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

from streamfold.api import compile
from streamfold.cli import main
from streamfold.cost import fmax
from streamfold.cost.devices import Family
from streamfold.cost.fmax import Coefficients, FitPoint, FmaxModel, PathKind, TimingPath
from streamfold.hw.block import NodeFolding
from streamfold.hw.mvau.params import MvauParams
from streamfold.hw.registry import block_of
from streamfold.ir import IntArray, IntType
from streamfold.models import mlp

ROOT = Path(__file__).resolve().parents[2]


def model_of(**paths: tuple[float, float]) -> FmaxModel:
    coeffs = {k: Coefficients(1.0, 0.0, "test") for k in PathKind}
    coeffs.update({PathKind(k): Coefficients(b, s, "test") for k, (b, s) in paths.items()})
    return FmaxModel(Family.ECP5, "lfe5u-85f", coeffs)


@pytest.fixture(scope="module")
def accelerators() -> dict[str, object]:
    torch.manual_seed(0)
    net = mlp(36, (24,), 6, weight_bits=2, act_bits=2, input_bits=4).eval()
    return {
        style: compile(net, (36,), device="lfe5u-85f", folding="folded", mem_style=style)
        for style in ("distributed", "block")
    }


def test_folded_mvau_reads_a_lut_rom_of_its_whole_weight_matrix(accelerators) -> None:
    paths = fmax.design_paths(accelerators["distributed"].design)
    roms = [p for p in paths if p.kind is PathKind.LUT_ROM and p.stage == "quantlinear1"]
    # weights: 36 x 24 at PE = SIMD = 1 -> 864 words; thresholds: 24 words (one per neuron),
    # read by one LUT6 (64 words): the side of the square of 64-word leaves past the first
    assert sorted(p.x for p in roms) == [0.0, math.sqrt(864 / 64) - 1]
    control = [p for p in paths if p.kind is PathKind.DATAPATH and p.stage == "quantlinear1"]
    assert [p.x for p in control] == [0.0]
    # 24 neuron folds of SIMD 1: the replayed word's control fans out over its 4 input bits
    enable = [p for p in paths if p.kind is PathKind.ENABLE and p.stage == "quantlinear1"]
    assert [p.x for p in enable] == [math.sqrt(4 / 64)]


def test_replayed_word_bits_only_with_several_neuron_folds() -> None:
    """The ``enable`` path's size: SIMD x input bits of a unit that replays its word (NF > 1),
    whatever SF; none with one neuron fold (no replay buffer, no select)."""
    x, w = IntType(8, False), IntType(2, True)
    weight = IntArray(np.ones((16, 64), dtype=np.int64))
    params = MvauParams(64, 16, x, w, IntType(16, True), IntType(16, True), weight, None)
    assert fmax.replay_word_bits(params, NodeFolding(1, 64)) == 512  # SF = 1: the enable too
    assert fmax.replay_word_bits(params, NodeFolding(2, 8)) == 64  # SF = 8: the select
    assert fmax.replay_word_bits(params, NodeFolding(16, 64)) == 0  # NF = 1


# one output bit's read tree over depth / 64 LUT6 leaves, whatever the width (Yosys synth_ecp5)
@pytest.mark.parametrize(
    "depth, span", [(1, 0.0), (64, 0.0), (256, 1.0), (1024, 3.0), (16_384, 15.0), (65_536, 31.0)]
)
def test_lut_rom_span(depth: int, span: float) -> None:
    assert fmax.lut_rom_span(depth) == span


def test_block_memory_style_gives_block_ram_paths(accelerators) -> None:
    paths = fmax.design_paths(accelerators["block"].design)
    kinds = {p.kind for p in paths if p.stage == "quantlinear1"}
    # sf_mvau registers its block-RAM reads before the products (OPR)
    assert PathKind.BRAM_REGISTERED in kinds
    assert PathKind.BRAM not in kinds and PathKind.LUT_ROM not in kinds


# Yosys synth_ecp5 at the deepest of the cheapest shapes: 1,024 x 36 as two 1K x 18 side by
# side (no select mux), 8,192 x 18 as 2K x 9 blocks four deep (a 4:1 LUT mux per bit)
@pytest.mark.parametrize(
    "depth, width, blocks",
    [(50_176, 1, 4), (512, 36, 1), (1024, 36, 1), (2048, 9, 1), (8192, 18, 4)],
)
def test_bram_depth_blocks(depth: int, width: int, blocks: int) -> None:
    assert fmax.bram_depth_blocks(depth, width) == blocks


def test_prediction_is_the_slowest_path() -> None:
    model = model_of(lut_rom=(4.0, 0.5), bram=(9.0, 1.0))
    paths = [
        TimingPath("a", PathKind.LUT_ROM, 16.0),  # 12 ns
        TimingPath("b", PathKind.BRAM, 1.0),  # 10 ns
        TimingPath("c", PathKind.GLUE, 0.0),  # 1 ns
    ]
    pred = fmax.predict_fmax(paths, model)
    assert pred.critical == paths[0] and pred.delay_ns == 12.0
    assert pred.fmax_mhz == pytest.approx(1000 / 12)


def test_fit_recovers_a_line_and_keeps_the_prior_slope_for_one_size() -> None:
    prior = model_of(lut_rom=(3.0, 0.5), bram=(0.0, 0.7))
    rom = [TimingPath("s", PathKind.LUT_ROM, x) for x in (8.0, 12.0, 16.0)]
    points = [
        FitPoint(f"r{i}", (p,), 1000 / (3.0 + 0.5 * p.x), "s", PathKind.LUT_ROM)
        for i, p in enumerate(rom)
    ]
    points.append(FitPoint("b", (TimingPath("t", PathKind.BRAM, 2.0),), 100.0, "t", PathKind.BRAM))
    got = fmax.fit(points, prior, "run X")
    # data on the prior's line: the fit is that line
    assert got[PathKind.LUT_ROM].base_ns == pytest.approx(3.0)
    assert got[PathKind.LUT_ROM].per_unit_ns == pytest.approx(0.5)
    assert got[PathKind.LUT_ROM].source == "run X: critical in r0, r1, r2; prior: test"
    # one point off the prior: the MAP line, solved here independently (numpy)
    wd, wb, ws = fmax.DATA_SD_NS**-2, fmax.BASE_SD_NS**-2, fmax.SLOPE_SD_NS**-2
    rows = np.array([[wd**0.5, 2 * wd**0.5], [wb**0.5, 0.0], [0.0, ws**0.5]])
    rhs = np.array([10.0 * wd**0.5, 0.0, 0.7 * ws**0.5])
    (base, slope), *_ = np.linalg.lstsq(rows, rhs, rcond=None)
    assert got[PathKind.BRAM].base_ns == pytest.approx(base, abs=1e-3)
    assert got[PathKind.BRAM].per_unit_ns == pytest.approx(slope, abs=1e-3)
    assert got[PathKind.GLUE] == prior.paths[PathKind.GLUE]


def test_ecp5_model_covers_every_kind_and_cites_its_runs() -> None:
    model = fmax.load_model(Family.ECP5)
    assert model is not None and model.device == "lfe5u-85f"
    assert set(model.paths) == set(PathKind)
    for c in model.paths.values():
        assert c.base_ns > 0 and c.per_unit_ns >= 0 and c.source
    priors = fmax.load_priors(Family.ECP5)
    assert priors is not None and set(priors.paths) == set(PathKind)
    assert all(c.source.startswith("assumed: ") for c in priors.paths.values())
    assert fmax.load_model(Family.XILINX7) is None


def test_estimate_gives_fmax_and_frames_per_second_at_it(accelerators) -> None:
    est = accelerators["distributed"].estimate()
    assert est.fmax is not None and est.frames_per_second_at_fmax is not None
    assert est.frames_per_second_at_fmax == pytest.approx(
        est.fmax.fmax_mhz * 1e6 / est.pipeline.interval
    )
    text = str(est)
    assert f"predicted Fmax:      {est.fmax.fmax_mhz:.1f} MHz on ecp5" in text
    assert f"{est.frames_per_second_at_fmax:,.0f} frames/s at it" in text
    data = est.to_json()
    assert data["fmax"]["mhz"] == round(est.fmax.fmax_mhz, 1)
    assert data["fmax"]["critical_stage"] == est.fmax.critical.stage


def test_cli_estimate_prints_fmax_for_ecp5_and_says_none_for_xilinx(
    accelerators, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = accelerators["distributed"].build(tmp_path / "hw")
    capsys.readouterr()
    assert main(["estimate", str(out), "--device", "lfe5u-85f"]) == 0
    text = capsys.readouterr().out
    assert "predicted Fmax:" in text and "MHz on ecp5" in text
    assert main(["estimate", str(out), "--device", "xc7z020", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["fmax"] is None and data["frames_per_second_at_fmax"] is None
    assert main(["estimate", str(out), "--device", "xc7z020"]) == 0
    assert "predicted Fmax:      none (no timing model for xilinx7 yet)" in capsys.readouterr().out


def test_fit_bounds_a_path_that_was_not_critical() -> None:
    prior = model_of(lut_rom=(3.0, 1.0), datapath=(6.0, 0.0))
    paths = (TimingPath("s", PathKind.DATAPATH, 0.0), TimingPath("s", PathKind.LUT_ROM, 5.0))
    point = FitPoint("d", paths, 200.0, "s", PathKind.DATAPATH)  # 5 ns, the ROM's prior 8 ns
    got = fmax.fit([point], prior, "run Y")
    model = FmaxModel(Family.ECP5, "lfe5u-85f", got)
    assert model.delay_ns(paths[1]) <= 5.0 + 0.1  # pulled to the measured delay
    assert got[PathKind.LUT_ROM].source == "run Y: bounded by d; prior: test"
    assert fmax.predict_fmax(paths, model).fmax_mhz == pytest.approx(200.0, rel=0.02)


# ------------------------------------------------------------------------------- cached runs
@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fmax_ecp5", ROOT / "bench" / "fmax_ecp5.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fmax_ecp5"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_cnn8_lut_rom_features_and_prediction(bench: ModuleType) -> None:
    """The small W1A1 CNN in LUTs (held out): its last-but-one layer reads a 256 x 32 weight
    matrix as an 8,192 x 1 ROM, which the model and nextpnr both put on the critical path."""
    (spec,) = [s for s in bench.SPECS if s.name == "cnn8-w1a1-folded-lut"]
    assert spec.role == "held"
    design = bench.accelerator(spec).design
    node = design.graph.node("quantlinear13")
    params = block_of(node).params(design.graph, node)
    assert fmax.memory_shapes(params, design.point.folding(node.name)) == [(8192, 1), (32, 10)]
    paths = fmax.design_paths(design)
    model = fmax.load_model(Family.ECP5)
    assert model is not None
    pred = fmax.predict_fmax(paths, model)
    assert pred.critical == TimingPath("quantlinear13", PathKind.LUT_ROM, math.sqrt(128) - 1)
    run = json.loads(bench.RUNS.read_text())[spec.name]
    measured = bench.fit_point(spec.name, design, paths, run)
    assert (measured.stage, measured.kind) == ("quantlinear13", PathKind.LUT_ROM)
    assert pred.fmax_mhz == pytest.approx(measured.fmax_mhz, rel=0.10)


# Held-out designs outside issue 18's 10 % bar, with the bar they are held to instead: none
# since the ``enable`` path (the replayed input word's control: the 512-bit-input MLP, +17.6 %
# before it, is within 2 %). A new miss fails this test.
KNOWN_MISSES: dict[str, float] = {}


def test_held_out_designs_within_ten_per_cent(bench: ModuleType) -> None:
    """Issue 18's bar, on the cached nextpnr runs (bench/fmax_ecp5_runs.json) of the designs
    the fit did not see: every one predicted within 10 % of its measured Fmax, but for the
    documented KNOWN_MISSES."""
    runs = json.loads(bench.RUNS.read_text())
    held = [s for s in bench.SPECS if s.role == "held"]
    assert len(held) >= 5 and all(s.name in runs for s in held)
    model = fmax.load_model(Family.ECP5)
    assert model is not None
    errors = {}
    for spec in held:
        pred = fmax.predict_fmax(fmax.design_paths(bench.accelerator(spec).design), model)
        errors[spec.name] = pred.fmax_mhz / float(runs[spec.name]["fmax_mhz"]) - 1
    assert all(abs(e) <= KNOWN_MISSES.get(n, 0.10) for n, e in errors.items()), errors
    assert sum(abs(e) <= 0.10 for e in errors.values()) >= len(held) - len(KNOWN_MISSES)


def test_fit_takes_a_designs_paths_of_one_kind_and_size_as_one_measurement() -> None:
    prior = model_of(bram_registered=(7.0, 0.8), datapath=(7.0, 0.0))
    reg, dp = PathKind.BRAM_REGISTERED, PathKind.DATAPATH
    # design a: three block-RAM reads of one size (stages s, t, u), critical in s at 6.5 ns,
    # and two datapaths, which the prior puts at 7 ns: one bound at 6.5 ns, not two
    paths = (
        *(TimingPath(st, reg, 0.0) for st in "stu"),
        *(TimingPath(st, dp, 0.0) for st in "st"),
    )
    a = FitPoint("a", paths, 1000 / 6.5, "s", reg)
    b = FitPoint("b", (TimingPath("v", reg, 0.0),), 1000 / 7.5, "v", reg)
    got = fmax.fit([a, b], prior, "run Z")
    wd, wb = fmax.DATA_SD_NS**-2, fmax.BASE_SD_NS**-2
    # x = 0 everywhere: the slopes keep the prior's, the bases are weighted means
    assert got[reg].base_ns == pytest.approx(
        (wd * (6.5 + 7.5) + wb * 7.0) / (2 * wd + wb), abs=1e-3
    )
    assert got[reg].per_unit_ns == 0.8
    assert got[reg].source == "run Z: critical in a, b; prior: test"
    assert got[dp].base_ns == pytest.approx((wd * 6.5 + wb * 7.0) / (wd + wb), abs=1e-3)
    assert got[dp].source == "run Z: bounded by a; prior: test"


def test_window_buffers_in_lut_ram_are_read_through_a_mux_tree_and_deep_ones_go_to_block() -> None:
    """CNV at FINN's folding placed on LFE5U-85F at 95.0 MHz with its critical path a 4,096 x 1
    max-pool buffer read from LUT RAM (docs/benchmarks.md): that read is a LUT_ROM path at the
    buffer's depth, and finn_point now puts buffers deeper than DEEP_BUFFER_WORDS in block RAM."""
    from dataclasses import replace

    from streamfold.codegen.top import stitch
    from streamfold.cost.devices import device
    from streamfold.dse.design_point import DesignPoint
    from streamfold.dse.finn import CNV_PYNQ, DEEP_BUFFER_WORDS, finn_point
    from streamfold.flow import to_kernels
    from streamfold.hw.block import MemStyle
    from streamfold.hw.maxpool import cost as maxpool_cost
    from streamfold.hw.maxpool.params import MaxPoolParams
    from streamfold.hw.swg.params import SwgParams
    from streamfold.zoo import reference_graph

    graph = to_kernels(reference_graph("cnv-w1a1"))
    point = finn_point(graph, CNV_PYNQ)
    deep = []
    for name, folding in point.nodes:
        node = graph.node(name)
        params = block_of(node).params(graph, node)
        if not isinstance(params, SwgParams | MaxPoolParams):
            continue
        words = maxpool_cost.window_buffer_words(params, folding)
        assert (folding.mem_style is MemStyle.BLOCK) == (words > DEEP_BUFFER_WORDS), name
        deep += [name] if words > DEEP_BUFFER_WORDS else []
    assert deep == ["maxpool2d7", "maxpool2d14"]  # 2,048 x 2 and 4,096 x 1; windows 128-256
    lut_ram = DesignPoint(
        tuple(
            (n, replace(f, mem_style=MemStyle.DISTRIBUTED) if n in deep else f)
            for n, f in point.nodes
        )
    )
    measured = fmax.design_fmax(stitch(graph, lut_ram), device("lfe5u-85f"))
    assert measured is not None
    assert measured.critical == TimingPath("maxpool2d14", PathKind.LUT_ROM, 7.0)  # sqrt(64) - 1
    block = fmax.design_fmax(stitch(graph, point), device("lfe5u-85f"))
    assert block is not None and block.critical.stage not in deep
    assert block.fmax_mhz > measured.fmax_mhz
