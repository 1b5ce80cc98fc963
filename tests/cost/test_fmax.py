"""The Fmax model (cost.fmax): path features from a design, the prediction, the fit, and what
``streamfold estimate`` prints with it. Fast: no place and route (bench/fmax_ecp5.py measures)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from streamfold.api import compile
from streamfold.cli import main
from streamfold.cost import fmax
from streamfold.cost.devices import Family
from streamfold.cost.fmax import Coefficients, FitPoint, FmaxModel, PathKind, TimingPath
from streamfold.models import mlp


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
    # read by one LUT6 (64 words): mux levels past it
    assert sorted(p.x for p in roms) == [0.0, math.log2(864) - 6]
    control = [p for p in paths if p.kind is PathKind.DATAPATH and p.stage == "quantlinear1"]
    assert [p.x for p in control] == [0.0]


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
