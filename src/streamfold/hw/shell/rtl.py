"""The shell's sources (hand-written) and its two tops, generated as thin wrappers that fix the
parameters of ``sf_shell_mm`` / ``sf_shell_axis`` for one build:

- ``sf_top_axi``: the memory-mapped accelerator (AXI4-Lite slave ``s_axil``, AXI4 master
  ``m_axi`` with a 32-bit data bus and 32-bit addresses);
- ``sf_top_axis``: byte-aligned AXI-Stream in/out with TLAST and TKEEP, and ``s_axil``.

The generated pipeline ``sf_top`` is instantiated inside, unchanged.
"""

from __future__ import annotations

from pathlib import Path

from streamfold.hw.shell.layout import ShellLayout

HW = Path(__file__).resolve().parents[1]
SOURCES = (
    HW / "axilite_regs" / "sf_axilite_regs.v",
    HW / "axis_adapter" / "sf_axis_unpad.v",
    HW / "axis_adapter" / "sf_axis_pad.v",
    HW / "iodma" / "sf_iodma_burst.v",
    HW / "iodma" / "sf_iodma_rd.v",
    HW / "iodma" / "sf_iodma_wr.v",
    HW / "shell" / "sf_shell_mm.v",
    HW / "shell" / "sf_shell_axis.v",
)
TOP_AXI = "sf_top_axi"
TOP_AXIS = "sf_top_axis"
ADDR_BITS = 32
LITE_ADDR_BITS = 12  # a 4 KiB register window (registers in its first 0x44 bytes)

# (name, is_input, width): width None = 1; "bus" = data bus, "strb" = its byte strobes
_LITE = (
    ("s_axil_awaddr", True, LITE_ADDR_BITS),
    ("s_axil_awvalid", True, 1),
    ("s_axil_awready", False, 1),
    ("s_axil_wdata", True, 32),
    ("s_axil_wstrb", True, 4),
    ("s_axil_wvalid", True, 1),
    ("s_axil_wready", False, 1),
    ("s_axil_bresp", False, 2),
    ("s_axil_bvalid", False, 1),
    ("s_axil_bready", True, 1),
    ("s_axil_araddr", True, LITE_ADDR_BITS),
    ("s_axil_arvalid", True, 1),
    ("s_axil_arready", False, 1),
    ("s_axil_rdata", False, 32),
    ("s_axil_rresp", False, 2),
    ("s_axil_rvalid", False, 1),
    ("s_axil_rready", True, 1),
)


def axi_master_ports(bus_bytes: int) -> tuple[tuple[str, bool, int], ...]:
    """The AXI4 master's ports (name, is_input, width) of ``sf_top_axi``."""
    return (
        ("m_axi_araddr", False, ADDR_BITS),
        ("m_axi_arlen", False, 8),
        ("m_axi_arsize", False, 3),
        ("m_axi_arburst", False, 2),
        ("m_axi_arvalid", False, 1),
        ("m_axi_arready", True, 1),
        ("m_axi_rdata", True, 8 * bus_bytes),
        ("m_axi_rresp", True, 2),
        ("m_axi_rlast", True, 1),
        ("m_axi_rvalid", True, 1),
        ("m_axi_rready", False, 1),
        ("m_axi_awaddr", False, ADDR_BITS),
        ("m_axi_awlen", False, 8),
        ("m_axi_awsize", False, 3),
        ("m_axi_awburst", False, 2),
        ("m_axi_awvalid", False, 1),
        ("m_axi_awready", True, 1),
        ("m_axi_wdata", False, 8 * bus_bytes),
        ("m_axi_wstrb", False, bus_bytes),
        ("m_axi_wlast", False, 1),
        ("m_axi_wvalid", False, 1),
        ("m_axi_wready", True, 1),
        ("m_axi_bresp", True, 2),
        ("m_axi_bvalid", True, 1),
        ("m_axi_bready", False, 1),
    )


def lite_ports() -> tuple[tuple[str, bool, int], ...]:
    return _LITE


def stream_ports(layout: ShellLayout) -> tuple[tuple[str, bool, int], ...]:
    """The byte-aligned AXI-Stream ports of ``sf_top_axis``."""
    ib, ob = layout.inp.word_bytes, layout.out.word_bytes
    return (
        ("s_axis_tdata", True, 8 * ib),
        ("s_axis_tkeep", True, ib),
        ("s_axis_tlast", True, 1),
        ("s_axis_tvalid", True, 1),
        ("s_axis_tready", False, 1),
        ("m_axis_tdata", False, 8 * ob),
        ("m_axis_tkeep", False, ob),
        ("m_axis_tlast", False, 1),
        ("m_axis_tvalid", False, 1),
        ("m_axis_tready", True, 1),
    )
