"""Vivado block designs for Zynq boards: the PS, the packaged shell (``ipxact``), an AXI
SmartConnect from a PS master port to the shell's registers and one from the shell's DMA to a
PS high-performance slave port, clocked by a PS fabric clock with a processor-system reset.

``block_design_tcl`` writes a Tcl script that creates the project, the block design, its
address map, the HDL wrapper, and runs to a bitstream (``<name>.bit`` and ``<name>.hwh`` for
PYNQ). The script is text generated deterministically from the board record; its contents are
tested (interfaces, addresses). NOT RUN HERE: Vivado is not installed where streamfold is
developed, so the script has never been executed; IP versions are resolved at run time
(``sf_ipdef``) rather than pinned to one Vivado release.
"""

from __future__ import annotations

from dataclasses import dataclass

from streamfold.errors import StreamfoldError
from streamfold.hw.shell.rtl import TOP_AXI
from streamfold.packaging.ipxact import LIBRARY, REG_SPAN, VENDOR, VERSION


@dataclass(frozen=True)
class ZynqBoard:
    name: str
    part: str
    board_part: str  # used when its board files are installed (else the part alone)
    ps_ip: str
    ps_rule: str
    ctrl_port: str  # PS master -> s_axil
    ctrl_clock: str
    mem_port: str  # m_axi -> PS slave (DDR)
    mem_clock: str
    mem_segment: str
    fabric_clock: str
    fabric_reset: str
    clock_config: str  # PS property setting the fabric clock, in MHz
    enable: tuple[tuple[str, str], ...]  # PS properties enabling the two ports
    shell_base: int  # address of s_axil in the PS's map


BOARDS = {
    "pynq-z2": ZynqBoard(  # Zynq-7000 (XC7Z020)
        name="pynq-z2",
        part="xc7z020clg400-1",
        board_part="tul.com.tw:pynq-z2:part0:1.0",
        ps_ip="xilinx.com:ip:processing_system7",
        ps_rule="xilinx.com:bd_rule:processing_system7",
        ctrl_port="M_AXI_GP0",
        ctrl_clock="M_AXI_GP0_ACLK",
        mem_port="S_AXI_HP0",
        mem_clock="S_AXI_HP0_ACLK",
        mem_segment="HP0_DDR_LOWOCM",
        fabric_clock="FCLK_CLK0",
        fabric_reset="FCLK_RESET0_N",
        clock_config="PCW_FPGA0_PERIPHERAL_FREQMHZ",
        enable=(("PCW_USE_M_AXI_GP0", "1"), ("PCW_USE_S_AXI_HP0", "1")),
        shell_base=0x4000_0000,
    ),
    "zcu104": ZynqBoard(  # Zynq UltraScale+ MPSoC (XCZU7EV)
        name="zcu104",
        part="xczu7ev-ffvc1156-2-e",
        board_part="xilinx.com:zcu104:part0:1.1",
        ps_ip="xilinx.com:ip:zynq_ultra_ps_e",
        ps_rule="xilinx.com:bd_rule:zynq_ultra_ps_e",
        ctrl_port="M_AXI_HPM0_FPD",
        ctrl_clock="maxihpm0_fpd_aclk",
        mem_port="S_AXI_HP0_FPD",
        mem_clock="saxihp0_fpd_aclk",
        mem_segment="HP0_DDR_LOW",
        fabric_clock="pl_clk0",
        fabric_reset="pl_resetn0",
        clock_config="PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ",
        enable=(
            ("PSU__USE__M_AXI_GP0", "1"),
            ("PSU__USE__M_AXI_GP1", "0"),
            ("PSU__USE__S_AXI_GP2", "1"),
        ),
        shell_base=0xA000_0000,
    ),
}


class PackagingError(StreamfoldError):
    """A board or clock that the packaging cannot target."""


def board(name: str) -> ZynqBoard:
    if name not in BOARDS:
        raise PackagingError(
            f"vivado: board must be one of {', '.join(sorted(BOARDS))}, not {name!r}"
        )
    return BOARDS[name]


def block_design_tcl(b: ZynqBoard, *, clock_mhz: float = 100.0, name: str = "sf_accel") -> str:
    """The block-design script for ``b``; run from the deploy folder (``ip/`` beside it)."""
    if not 10.0 <= clock_mhz <= 400.0:
        raise PackagingError(f"vivado: clock_mhz must be in 10..400, not {clock_mhz}")
    ps_config = " ".join(f"CONFIG.{k} {{{v}}}" for k, v in b.enable)
    shell_vlnv = f"{VENDOR}:{LIBRARY}:{TOP_AXI}:{VERSION}"
    lines = [
        f"# streamfold block design: {b.name} ({b.part}), the shell {shell_vlnv},",
        f"# s_axil at {b.shell_base:#010x} ({REG_SPAN:#x} bytes), m_axi -> {b.mem_port} (DDR),",
        f"# fabric clock {clock_mhz:g} MHz. Generated; NOT run by streamfold (no Vivado here).",
        "# usage: vivado -mode batch -source " + f"{b.name}.tcl",
        "proc sf_ipdef {name} {",
        "    set defs [lsort [get_ipdefs -all ${name}:*]]",
        '    if {[llength $defs] == 0} { error "IP $name is not in the catalog" }',
        "    return [lindex $defs end]",
        "}",
        f"create_project {name} ./vivado_{b.name} -part {b.part} -force",
        f"if {{[llength [get_board_parts -quiet {b.board_part}]]}} {{",
        f"    set_property board_part {b.board_part} [current_project]",
        "    set preset 1",
        "} else {",
        "    set preset 0",
        "}",
        "set_property ip_repo_paths [list [file normalize ./ip]] [current_project]",
        "update_ip_catalog",
        f"create_bd_design {name}",
        f"create_bd_cell -type ip -vlnv [sf_ipdef {b.ps_ip}] ps",
        f"apply_bd_automation -rule {b.ps_rule} "
        '-config [list make_external "FIXED_IO, DDR" apply_board_preset $preset] [get_bd_cells ps]',
        f"set_property -dict [list {ps_config} CONFIG.{b.clock_config} {{{clock_mhz:g}}}] "
        "[get_bd_cells ps]",
        f"create_bd_cell -type ip -vlnv {shell_vlnv} shell",
        "create_bd_cell -type ip -vlnv [sf_ipdef xilinx.com:ip:smartconnect] ctrl_ic",
        "create_bd_cell -type ip -vlnv [sf_ipdef xilinx.com:ip:smartconnect] mem_ic",
        "set_property -dict [list CONFIG.NUM_SI {1} CONFIG.NUM_MI {1}] "
        "[get_bd_cells {ctrl_ic mem_ic}]",
        "create_bd_cell -type ip -vlnv [sf_ipdef xilinx.com:ip:proc_sys_reset] rst",
        f"connect_bd_intf_net [get_bd_intf_pins ps/{b.ctrl_port}] "
        "[get_bd_intf_pins ctrl_ic/S00_AXI]",
        "connect_bd_intf_net [get_bd_intf_pins ctrl_ic/M00_AXI] [get_bd_intf_pins shell/s_axil]",
        "connect_bd_intf_net [get_bd_intf_pins shell/m_axi] [get_bd_intf_pins mem_ic/S00_AXI]",
        f"connect_bd_intf_net [get_bd_intf_pins mem_ic/M00_AXI] [get_bd_intf_pins ps/{b.mem_port}]",
        f"connect_bd_net [get_bd_pins ps/{b.fabric_clock}] [get_bd_pins ps/{b.ctrl_clock}] "
        f"[get_bd_pins ps/{b.mem_clock}] [get_bd_pins shell/clk] [get_bd_pins ctrl_ic/aclk] "
        "[get_bd_pins mem_ic/aclk] [get_bd_pins rst/slowest_sync_clk]",
        f"connect_bd_net [get_bd_pins ps/{b.fabric_reset}] [get_bd_pins rst/ext_reset_in]",
        "connect_bd_net [get_bd_pins rst/peripheral_aresetn] [get_bd_pins shell/rst_n] "
        "[get_bd_pins ctrl_ic/aresetn] [get_bd_pins mem_ic/aresetn]",
        f"assign_bd_address -offset {b.shell_base:#010x} -range {REG_SPAN:#x} "
        "-target_address_space [get_bd_addr_spaces ps/Data] "
        "[get_bd_addr_segs shell/s_axil/reg0]",
        "assign_bd_address -target_address_space [get_bd_addr_spaces shell/m_axi] "
        f"[get_bd_addr_segs ps/{b.mem_port}/{b.mem_segment}]",
        "validate_bd_design",
        "save_bd_design",
        f"make_wrapper -files [get_files {name}.bd] -top",
        f"add_files -norecurse [file normalize ./vivado_{b.name}/{name}.gen/sources_1/bd/"
        f"{name}/hdl/{name}_wrapper.v]",
        f"set_property top {name}_wrapper [current_fileset]",
        "launch_runs impl_1 -to_step write_bitstream -jobs 4",
        "wait_on_run impl_1",
        f"file copy -force [get_property DIRECTORY [get_runs impl_1]]/{name}_wrapper.bit "
        f"./{name}.bit",
        f"file copy -force [glob ./vivado_{b.name}/{name}.gen/sources_1/bd/{name}/hw_handoff/"
        f"{name}.hwh] ./{name}.hwh",
    ]
    return "\n".join(lines) + "\n"
