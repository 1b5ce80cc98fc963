"""L0: resource models of the streaming CNN blocks (sliding-window generator, padding,
max-pooling, global pooling): positive, memories where the RTL puts them, monotone where the RTL
says so, and the per-point errors stored in calibration.json reproduced by the current model."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from streamfold.cost.devices import Family
from streamfold.cost.resources import CALIBRATION_FILE
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.globalpool import cost as gp_cost
from streamfold.hw.globalpool.params import GlobalPoolParams
from streamfold.hw.maxpool import cost as mp_cost
from streamfold.hw.maxpool.params import MaxPoolParams
from streamfold.hw.pad import cost as pad_cost
from streamfold.hw.pad.params import PadParams
from streamfold.hw.swg import cost as swg_cost
from streamfold.hw.swg.params import SwgParams
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.synth.resources import Resources

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = ("swg", "pad", "maxpool", "globalpool")
U2, U4, I8 = IntType(2, False), IntType(4, False), IntType(8, True)
CALIBRATED = [
    f
    for f in (Family.XILINX7, Family.ECP5)
    if all(
        b in json.loads(CALIBRATION_FILE.read_text())["families"].get(f.value, {}).get("blocks", {})
        for b in BLOCKS
    )
]
STYLES = (MemStyle.DISTRIBUTED, MemStyle.BLOCK, MemStyle.REGISTERS)


def _swg(channels: int = 16, dims: tuple[int, ...] = (8, 8), mmv: int = 1) -> SwgParams:
    n = len(dims)
    return SwgParams(channels, dims, (3,) * n, (1,) * n, U4, mmv)


def _maxpool(channels: int = 16, dims: tuple[int, ...] = (16, 16)) -> MaxPoolParams:
    n = len(dims)
    return MaxPoolParams(channels, dims, (2,) * n, (2,) * n, U4)


def _pad(channels: int = 16, dims: tuple[int, ...] = (8, 8)) -> PadParams:
    return PadParams(channels, dims, ((1, 1),) * len(dims), U2)


def _globalpool(channels: int = 16, dtype: IntType = U4) -> GlobalPoolParams:
    return GlobalPoolParams(channels, (8, 8), dtype)


def _all_blocks() -> list[tuple[Any, Any, NodeFolding]]:
    """(cost module, params, folding) for a few shapes of every block."""
    out: list[tuple[Any, Any, NodeFolding]] = []
    for style in STYLES:
        out += [
            (swg_cost, _swg(16, (8, 8)), NodeFolding(1, 4, style)),
            (swg_cost, _swg(8, (64,), mmv=2), NodeFolding(1, 8, style)),
            (mp_cost, _maxpool(16, (16, 16)), NodeFolding(1, 4, style)),
            (mp_cost, _maxpool(8, (64,)), NodeFolding(1, 8, style)),
        ]
    out += [
        (pad_cost, _pad(16, (8, 8)), NodeFolding(1, 4)),
        (pad_cost, _pad(8, (100,)), NodeFolding(1, 1)),
        (gp_cost, _globalpool(16, U4), NodeFolding(1, 4)),
        (gp_cost, _globalpool(32, BIPOLAR), NodeFolding(1, 32)),
    ]
    return out


@pytest.mark.parametrize("family", CALIBRATED, ids=lambda f: f.value)
def test_resources_positive_and_no_dsp(family: Family) -> None:
    for cost, params, folding in _all_blocks():
        r = cost.resources(params, folding, family)
        assert r.lut > 0 and r.ff > 0 and r.dsp == 0, (cost.__name__, params, folding, r)
        assert r.lutram <= r.lut  # LUTs used as memory are counted in LUT


@pytest.mark.parametrize("family", CALIBRATED, ids=lambda f: f.value)
def test_bram_only_for_a_block_style_buffer(family: Family) -> None:
    """The window buffer (swg, maxpool) is block RAM only with MemStyle.BLOCK; padding and
    global pooling have no block RAM at all."""
    for cost, params, folding in _all_blocks():
        r = cost.resources(params, folding, family)
        if folding.mem_style is MemStyle.BLOCK and cost in (swg_cost, mp_cost):
            assert r.bram >= 1, (cost.__name__, params, folding)
        else:
            assert r.bram == 0, (cost.__name__, params, folding)
    # A large buffer: 512 words of 32 bits, one RAMB18 (512 x 36); in LUT RAM 8 banks of
    # 11 RAM64M on Xilinx.
    params, simd = _swg(32, (16, 16)), 8
    assert swg_cost.buffer_words(params, NodeFolding(1, simd)) == 512
    block = swg_cost.resources(params, NodeFolding(1, simd, MemStyle.BLOCK), family)
    dist = swg_cost.resources(params, NodeFolding(1, simd, MemStyle.DISTRIBUTED), family)
    assert block.bram == 1 and dist.bram == 0 and dist.lutram > block.lutram
    if family is Family.XILINX7:
        fifo = 4 * 6  # the output FIFO: 4 words of 32 bits, 6 x RAM32M
        assert dist.lutram == 8 * 11 * 4 + fifo and block.lutram == fifo


def test_swg_lutram_banks_as_yosys_builds_them() -> None:
    """Deeper than 64 words, the cheaper of RAM64M banks and RAM128X1D (calibration runs)."""
    assert swg_cost.lutram_bank_words(256, 16) == 64  # 24 RAM64M rather than 32 RAM128X1D
    assert swg_cost.lutram_bank_words(256, 1) == 256  # 2 RAM128X1D rather than 4 RAM64M
    assert swg_cost.lutram_bank_words(32, 8) == 32


@pytest.mark.parametrize("family", CALIBRATED, ids=lambda f: f.value)
def test_scaling_with_simd_and_channels(family: Family) -> None:
    def grows(small: Resources, big: Resources) -> bool:
        return big.lut > small.lut and big.ff > small.ff

    # Wider words at the same buffer: more data bits, comparators and adders per cycle.
    for simd in (1, 2, 4, 8):
        a, b = NodeFolding(1, simd), NodeFolding(1, 2 * simd)
        assert grows(
            pad_cost.resources(_pad(16), a, family), pad_cost.resources(_pad(16), b, family)
        )
        gp = _globalpool(16, I8)
        assert grows(gp_cost.resources(gp, a, family), gp_cost.resources(gp, b, family))
        # Max-pooling: more comparators, but a shallower buffer (fewer words, shorter
        # positions, fewer LUT-RAM banks to mux), so LUTs in all grow and FFs need not; from
        # SIMD 1 to 2 LUTs may even fall on Xilinx (256 x 4 fills RAM64M's 3 bits worse than
        # 128 x 8: 32 against 24 LUTs).
        mp = _maxpool(16)
        for style in (MemStyle.DISTRIBUTED, MemStyle.BLOCK) if simd > 1 else ():
            small = mp_cost.resources(mp, NodeFolding(1, simd, style), family)
            big = mp_cost.resources(mp, NodeFolding(1, 2 * simd, style), family)
            assert big.lut > small.lut, (style, simd, small, big)
        assert (
            mp_cost.lut_features(mp, b, family)["compare_bits"]
            == 2 * mp_cost.lut_features(mp, a, family)["compare_bits"]
        )
    # More channels at the same SIMD: a deeper window buffer, longer positions and counters.
    for style in STYLES:
        f = NodeFolding(1, 4, style)
        for c in (8, 16, 32):
            small, big = (
                swg_cost.resources(_swg(c), f, family),
                swg_cost.resources(_swg(2 * c), f, family),
            )
            assert big.lut >= small.lut and big.ff >= small.ff and big.lutram >= small.lutram
            assert big.bram >= small.bram
            assert swg_cost.buffer_words(_swg(2 * c), f) == 2 * swg_cost.buffer_words(_swg(c), f)
            small, big = (
                mp_cost.resources(_maxpool(c), f, family),
                mp_cost.resources(_maxpool(2 * c), f, family),
            )
            assert big.lut >= small.lut and big.ff >= small.ff and big.lutram >= small.lutram
    # More output pixels per word: the buffer is replicated mmv times.
    one = swg_cost.resources(_swg(8, (64,), 1), NodeFolding(1, 8), family)
    four = swg_cost.resources(_swg(8, (64,), 4), NodeFolding(1, 8), family)
    assert four.lut > one.lut and four.ff > one.ff and four.lutram > 2 * one.lutram


# ------------------------------------------------------------------------------- calibration
def _calibrate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("calibrate", ROOT / "bench" / "calibrate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["calibrate"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def calibrate() -> ModuleType:
    return _calibrate()


@pytest.mark.parametrize("family", CALIBRATED, ids=lambda f: f.value)
@pytest.mark.parametrize("block", (*BLOCKS, "mvau", "mulshift"))
def test_stored_points_reproduced(calibrate: ModuleType, block: str, family: Family) -> None:
    """Every stored point (calibration and held-out) of the block: the model gives the stored
    estimate, its error against the stored Yosys count is the stored one, and the grid in
    bench/calibrate.py is the one that was fitted."""
    entry = json.loads(CALIBRATION_FILE.read_text())["families"][family.value]["blocks"][block]
    cal, held = calibrate.GRIDS[block]()
    stored = [(p["set"], p["config"]) for p in entry["points"]]
    from dataclasses import asdict

    grid = [("calibration", asdict(c)) for c in cal] + [("held-out", asdict(c)) for c in held]
    assert stored == grid
    cost = importlib.import_module(f"streamfold.hw.{block}.cost")
    config_class = type(cal[0])
    for point in entry["points"]:
        params, folding = config_class(**point["config"]).build()
        r = cost.resources(params, folding, family)
        est = {"lut": r.lut, "ff": r.ff, "lutram": r.lutram, "bram": r.bram, "dsp": r.dsp}
        assert est == point["estimated"], point["config"]
        for res, err in point["error_pct"].items():
            assert round(calibrate.pct_error(est[res], point["measured"][res]), 2) == err
    assert entry["summary"]["lut"]["mape_held-out"] <= 20.0
    assert entry["summary"]["ff"]["mape_held-out"] <= 20.0
