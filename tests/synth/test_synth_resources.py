"""Resources from captured Yosys ``stat -json`` reports, utilisation, and the fit check."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from streamfold.cost.devices import Family, device
from streamfold.errors import ResourceError, ToolError
from streamfold.synth.resources import (
    Resources,
    check_fits,
    count_cells,
    parse_stat,
    utilisation,
)

DATA = Path(__file__).with_name("data")


def test_xilinx_stat_fixture_counts_every_cell() -> None:
    # sf_fifo WIDTH=8 DEPTH=16, synth_xilinx with I/O and clock buffers (which count nothing)
    text = (DATA / "sf_fifo_w8_d16_xc7.stat.json").read_text()
    res, cells = parse_stat(text, Family.XILINX7, "sf_fifo")
    assert cells["RAM32M"] == 2 and cells["IBUF"] == 12
    # LUT2..6: 8 + 12 + 10 + 2 + 4 = 36, INV 4, RAM32M 2 x 4 LUTs
    assert res == Resources(lut=36 + 4 + 8, ff=25, lutram=8, bram=0, dsp=0, carry=3)


def test_ecp5_stat_fixture_counts_every_cell() -> None:
    text = (DATA / "sf_fifo_w8_d16_ecp5.stat.json").read_text()
    res, _ = parse_stat(text, Family.ECP5)
    # LUT4 160, two TRELLIS_DPR16X4 of 4 LUTs each; PFUMX/L6MUX21 use no LUT of their own
    assert res == Resources(lut=168, ff=25, lutram=8, bram=0, dsp=0, carry=0)


@pytest.mark.parametrize(
    "cells, family, expected",
    [
        pytest.param(
            {"RAMB36E1": 3, "RAMB18E1": 1}, Family.XILINX7, Resources(bram=7), id="bram18"
        ),
        pytest.param({"DSP48E2": 2, "CARRY8": 1}, Family.XILINX_USP, Resources(dsp=2, carry=1)),
        pytest.param({"SRLC32E": 3, "RAM64X1D": 1}, Family.XILINX7, Resources(lut=5, lutram=5)),
        pytest.param(
            {"CCU2C": 4, "DP16KD": 2, "MULT18X18D": 1},
            Family.ECP5,
            Resources(lut=8, bram=2, dsp=1, carry=4),
            id="ecp5-carry-uses-two-luts",
        ),
    ],
)
def test_cell_counts(cells: dict[str, int], family: Family, expected: Resources) -> None:
    assert count_cells(cells, family) == expected


def test_unknown_cell_is_an_error_not_a_miscount() -> None:
    with pytest.raises(ToolError, match=r"cell types must be ecp5 primitives .*, not \$mul, LUT6"):
        count_cells({"LUT4": 1, "LUT6": 2, "$mul": 1}, Family.ECP5)


def test_stat_must_be_json() -> None:
    with pytest.raises(ToolError, match=r"^yosys stat: the report must be JSON"):
        parse_stat("Printing statistics.", Family.XILINX7)


def test_resources_add() -> None:
    assert Resources(1, 2, 3, 4, 5, 6) + Resources(lut=1) == Resources(2, 2, 3, 4, 5, 6)


def test_utilisation_against_device() -> None:
    dev = device("lfe5u-25f")
    util = {u.resource: u for u in utilisation(Resources(lut=2_428, bram=28), dev)}
    assert util["LUT"].percent == pytest.approx(10.0, abs=0.01)
    assert util["DP16KD"].available == 56 and util["DP16KD"].percent == 50.0


def test_design_that_does_not_fit_names_scarcest_resource() -> None:
    dev = device("lfe5u-25f")
    check_fits(Resources(lut=24_288, bram=56), dev)  # exactly full fits
    with pytest.raises(
        ResourceError,
        match=r"^tfc on lfe5u-25f: DP16KD must be <= 56 on lfe5u-25f, not 70 "
        r"\(14 over, 125 % of the device\)$",
    ):
        check_fits(Resources(lut=25_000, bram=70), dev, "tfc on lfe5u-25f")


def test_tiny_device_reports_luts() -> None:
    tiny = dataclasses.replace(device("xc7z020"), name="tiny", luts=10)
    with pytest.raises(ResourceError, match=r"LUT must be <= 10 on tiny, not 48 \(38 over"):
        check_fits(Resources(lut=48, ff=25), tiny)
