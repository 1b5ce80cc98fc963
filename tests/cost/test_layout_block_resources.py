"""L0: resource models of the upsample and depthtospace blocks: positive, the buffer where the
RTL puts it (one row; two rows for DepthToSpace) and as Yosys builds it, growing with the row,
and the per-point errors stored in calibration.json reproduced by the current model."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from streamfold.cost.devices import Family
from streamfold.cost.resources import CALIBRATION_FILE, MemKind, Memory
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.depthtospace import cost as d2s_cost
from streamfold.hw.depthtospace.params import DepthToSpaceParams
from streamfold.hw.upsample import cost as up_cost
from streamfold.hw.upsample.params import UpsampleParams
from streamfold.ir.dtypes import IntType
from streamfold.ir.ops import DepthToSpaceMode

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = ("upsample", "depthtospace")
U4 = IntType(4, False)
_FAMILIES = json.loads(CALIBRATION_FILE.read_text())["families"]
CALIBRATED = [
    (f, b) for f in Family for b in BLOCKS if b in _FAMILIES.get(f.value, {}).get("blocks", {})
]


def _blocks() -> list[tuple[Any, Any, NodeFolding]]:
    up = UpsampleParams(16, (8, 8), (2, 2), U4)
    up1 = UpsampleParams(8, (40,), (3,), U4)
    dcr = DepthToSpaceParams(8, (6, 6), 2, DepthToSpaceMode.DCR, U4)
    crd = DepthToSpaceParams(4, (8, 8), 2, DepthToSpaceMode.CRD, U4)
    out: list[tuple[Any, Any, NodeFolding]] = []
    for style in MemStyle:
        out += [
            (up_cost, up, NodeFolding(1, 4, style)),
            (up_cost, up1, NodeFolding(1, 2, style)),
            (d2s_cost, dcr, NodeFolding(1, 4, style)),
            (d2s_cost, crd, NodeFolding(1, 1, style)),
        ]
    return out


@pytest.mark.parametrize("family", sorted({f for f, _ in CALIBRATED}, key=str))
def test_positive_no_dsp_and_bram_only_for_block_style(family: Family) -> None:
    for cost, params, folding in _blocks():
        r = cost.resources(params, folding, family)
        assert r.lut > 0 and r.ff > 0 and r.dsp == 0 and r.lutram <= r.lut
        assert (r.bram > 0) == (folding.mem_style is MemStyle.BLOCK), (params, folding)


def test_buffers_one_row_and_two_rows() -> None:
    up = UpsampleParams(16, (8, 10), (2, 3), U4)
    assert up_cost.row_words(up, NodeFolding(1, 4)) == 10 * 4
    d2s = DepthToSpaceParams(3, (5, 6), 2, DepthToSpaceMode.DCR, U4)
    assert d2s_cost.row_words(d2s, NodeFolding(1, 3)) == 6 * 12 // 3
    block = d2s_cost.memories(d2s, NodeFolding(1, 3, MemStyle.BLOCK))
    assert block[0] == Memory(2 * 24, 12, MemKind.BLOCK)


def test_lutram_banks_as_yosys_builds_them() -> None:
    """Deeper than 64 words, the cheapest of RAM64M, RAM128X1D and RAM32M (calibration runs:
    96 x 32 became three RAM32M banks)."""
    d = MemStyle.DISTRIBUTED
    assert up_cost.buffer_memories(96, 32, d) == (Memory(32, 32, MemKind.LUTRAM),) * 3
    assert up_cost.buffer_memories(256, 16, d) == (Memory(64, 16, MemKind.LUTRAM),) * 4
    assert up_cost.buffer_memories(256, 1, d) == (Memory(256, 1, MemKind.LUTRAM),)
    assert up_cost.buffer_memories(48, 8, d) == (Memory(48, 8, MemKind.LUTRAM),)


@pytest.mark.parametrize("family", sorted({f for f, _ in CALIBRATED}, key=str))
def test_grows_with_the_row(family: Family) -> None:
    for style in MemStyle:
        f = NodeFolding(1, 4, style)
        small = up_cost.resources(UpsampleParams(16, (8, 8), (2, 2), U4), f, family)
        big = up_cost.resources(UpsampleParams(16, (8, 64), (2, 2), U4), f, family)
        assert big.lut >= small.lut and big.ff >= small.ff and big.lutram >= small.lutram
        assert big.bram >= small.bram


def _calibrate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("calibrate", ROOT / "bench" / "calibrate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["calibrate"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("family", "block"), CALIBRATED, ids=lambda v: getattr(v, "value", v))
def test_stored_points_reproduced(block: str, family: Family) -> None:
    """Every stored point: the model gives the stored estimate, its error against the stored
    Yosys count is the stored one, and the grid in bench/calibrate.py is the one fitted."""
    calibrate = _calibrate()
    entry = _FAMILIES[family.value]["blocks"][block]
    cal, held = calibrate.GRIDS[block]()
    grid = [("calibration", asdict(c)) for c in cal] + [("held-out", asdict(c)) for c in held]
    assert [(p["set"], p["config"]) for p in entry["points"]] == grid
    cost = importlib.import_module(f"streamfold.hw.{block}.cost")
    for point in entry["points"]:
        params, folding = type(cal[0])(**point["config"]).build()
        r = cost.resources(params, folding, family)
        est = {"lut": r.lut, "ff": r.ff, "lutram": r.lutram, "bram": r.bram, "dsp": r.dsp}
        assert est == point["estimated"], point["config"]
        for res, err in point["error_pct"].items():
            assert round(calibrate.pct_error(est[res], point["measured"][res]), 2) == err
    # as for the other streaming blocks; met on xilinx7 (<= 5.4 %), ECP5 depthtospace LUTs
    # are at 15.4 % (its deep LUT-RAM read muxes)
    assert entry["summary"]["lut"]["mape_held-out"] <= 20.0
    assert entry["summary"]["ff"]["mape_held-out"] <= 20.0
