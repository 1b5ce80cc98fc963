"""`streamfold deploy`: a board folder per board, its refusals; the ULX3S bitstream with every
I/O constrained (slow: Yosys + nextpnr)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shell_nets import build, mlp_graph
from streamfold.cli import main
from streamfold.codegen.build_dir import read_manifest


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(mlp_graph(), "folded", tmp_path_factory.mktemp("deploy") / "b")


def test_deploy_zynq_writes_ip_block_design_and_driver(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "zcu104"
    assert (
        main(["deploy", str(built), "--board", "zcu104", "-o", str(out), "--clock-mhz", "150"]) == 0
    )
    assert "next: vivado -mode batch -source zcu104.tcl" in capsys.readouterr().out
    read_manifest(out / "build")  # a complete, verified copy
    assert (out / "ip" / "component.xml").read_bytes().startswith(b"<?xml")
    assert (out / "ip" / "rtl" / "sf_top_axi.v").is_file()
    assert "CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ {150}" in (out / "zcu104.tcl").read_text()
    info = json.loads((out / "board.json").read_text())
    assert info == {
        "board": "zcu104",
        "backend": "pynq",
        "clock_mhz": 150.0,
        "shell_base": 0xA000_0000,
        "bitfile": "sf_accel.bit",
    }
    assert 'backend="pynq"' in (out / "run_on_board.py").read_text()
    assert main(["deploy", str(built), "--board", "zcu104", "-o", str(out)]) == 0  # again: replaced


def test_deploy_ulx3s_without_tools_writes_constraints(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "u"
    assert main(["deploy", str(built), "--board", "ulx3s", "-o", str(out), "--no-bitstream"]) == 0
    assert 'LOCATE COMP "ftdi_rxd" SITE "L4";' in (out / "ulx3s.lpf").read_text()
    assert not (out / "sf_accel_ulx3s.bit").exists()


def test_deploy_refuses_unknown_board_and_foreign_folder(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["deploy", str(built), "--board", "zedboard", "-o", str(tmp_path / "x")]) == 1
    assert (
        capsys.readouterr().err
        == "streamfold: error: deploy: board must be one of pynq-z2, zcu104, ulx3s, "
        "not 'zedboard'\n"
    )
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    assert (
        main(
            [
                "deploy",
                str(built),
                "--board",
                "ulx3s",
                "--no-bitstream",
                "-o",
                str(tmp_path / "mine"),
            ]
        )
        == 1
    )
    assert "must be a new or empty directory or an earlier deployment" in capsys.readouterr().err


@pytest.mark.synth
@pytest.mark.slow
def test_deploy_ulx3s_bitstream_with_every_io_constrained(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "u"
    assert main(["deploy", str(built), "--board", "ulx3s", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    fmax = float(re.search(r"Fmax: ([\d.]+) MHz", text).group(1))  # type: ignore[union-attr]
    assert fmax > 25.0  # the board's oscillator
    assert "frames/s at Fmax" in text
    assert (out / "sf_accel_ulx3s.bit").stat().st_size > 100_000
    log = (out / "ecp5" / "nextpnr.log").read_text()
    placed = set(re.findall(r"pin '([^$']+)\$tr_io' constrained to Bel", log))
    assert placed >= {"ftdi_txd", "ftdi_rxd", *(f"led[{i}]" for i in range(8))}
