"""The Vivado block-design scripts: deterministic, and wiring the shell's two AXI interfaces to
the right PS ports at the right addresses (Vivado itself is not run here)."""

from __future__ import annotations

import pytest

from streamfold.packaging.vivado import BOARDS, PackagingError, block_design_tcl, board


@pytest.mark.parametrize(
    "name, part, ctrl, mem, base",
    [
        ("pynq-z2", "xc7z020clg400-1", "M_AXI_GP0", "S_AXI_HP0", "0x40000000"),
        ("zcu104", "xczu7ev-ffvc1156-2-e", "M_AXI_HPM0_FPD", "S_AXI_HP0_FPD", "0xa0000000"),
    ],
)
def test_block_design_wires_the_shell(name: str, part: str, ctrl: str, mem: str, base: str) -> None:
    tcl = block_design_tcl(board(name), clock_mhz=125)
    lines = tcl.splitlines()
    assert f"create_project sf_accel ./vivado_{name} -part {part} -force" in lines
    assert "create_bd_cell -type ip -vlnv streamfold.org:streamfold:sf_top_axi:1.0 shell" in lines
    assert (
        f"connect_bd_intf_net [get_bd_intf_pins ps/{ctrl}] [get_bd_intf_pins ctrl_ic/S00_AXI]"
        in lines
    )
    assert (
        "connect_bd_intf_net [get_bd_intf_pins ctrl_ic/M00_AXI] [get_bd_intf_pins shell/s_axil]"
        in lines
    )
    assert (
        "connect_bd_intf_net [get_bd_intf_pins shell/m_axi] [get_bd_intf_pins mem_ic/S00_AXI]"
        in lines
    )
    assert (
        f"connect_bd_intf_net [get_bd_intf_pins mem_ic/M00_AXI] [get_bd_intf_pins ps/{mem}]"
        in lines
    )
    assert any(
        line.startswith(f"assign_bd_address -offset {base} -range 0x1000 ")
        and line.endswith("[get_bd_addr_segs shell/s_axil/reg0]")
        for line in lines
    )
    assert any(f"[get_bd_addr_segs ps/{mem}/" in line for line in lines)
    assert "{125}] [get_bd_cells ps]" in tcl
    assert tcl == block_design_tcl(board(name), clock_mhz=125)  # deterministic


def test_both_families_are_covered() -> None:
    assert {b.ps_ip.rsplit(":", 1)[1] for b in BOARDS.values()} == {
        "processing_system7",
        "zynq_ultra_ps_e",
    }


def test_unknown_board_is_refused() -> None:
    with pytest.raises(
        PackagingError, match=r"^vivado: board must be one of pynq-z2, zcu104, not 'zedboard'$"
    ):
        board("zedboard")


def test_clock_out_of_range_is_refused() -> None:
    with pytest.raises(PackagingError, match=r"^vivado: clock_mhz must be in 10..400, not 1000$"):
        block_design_tcl(board("pynq-z2"), clock_mhz=1000)
