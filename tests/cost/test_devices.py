"""The device database: lookups, units and citations."""

from __future__ import annotations

import pytest

from streamfold.cost.devices import DEVICES, Family, device
from streamfold.errors import StreamfoldError


def test_every_board_part_is_known() -> None:
    for name in ("xc7z020", "xczu3eg", "xczu7ev", "xcvu9p", "lfe5u-25f", "lfe5u-85f"):
        assert device(name).name == name
    assert device("LFE5U-85F") is DEVICES["lfe5u-85f"]


def test_unknown_device_lists_the_known_ones() -> None:
    with pytest.raises(
        StreamfoldError,
        match=r"^device: name must be one of xc7z020, xczu3eg, xczu7ev, xcvu9p, lfe5u-25f, "
        r"lfe5u-85f, not 'xc7a35t'$",
    ):
        device("xc7a35t")


def test_native_units() -> None:
    z = device("xc7z020")
    assert (z.luts, z.ffs, z.bram, z.bram36, z.dsps, z.lutram) == (
        53_200,
        106_400,
        280,
        140,
        220,
        17_400,
    )
    e = device("lfe5u-85f")
    assert (e.luts, e.bram, e.bram36, e.bram_kbits, e.dsps) == (83_640, 208, 0, 3_744, 156)
    assert e.family.bram_unit == "DP16KD" and z.family.dsp_unit == "DSP48E1"
    assert device("xczu3eg").family is Family.XILINX_USP


@pytest.mark.parametrize("name", sorted(DEVICES))
def test_numbers_are_consistent_and_cited(name: str) -> None:
    d = DEVICES[name]
    assert d.lutram <= d.luts <= d.ffs and d.bram > 0 and d.dsps > 0 and d.clock_mhz > 0
    assert d.source.startswith(("DS190", "DS891", "DS923", "FPGA-DS-02012")) and d.clock_source
    if d.family is Family.ECP5:
        assert d.package  # nextpnr needs one
        assert d.lutram * 16 // 1000 in (194, 669)  # Table 1.1 distributed RAM, kbits
