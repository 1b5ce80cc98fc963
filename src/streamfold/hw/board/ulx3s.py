"""The ULX3S (Lattice LFE5U-85F, CABGA381) board top ``sf_board_ulx3s``: its sources, its
parameters and every I/O's pin (from the board's reference constraints, ulx3s_v20.lpf)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HW = Path(__file__).resolve().parents[1]
TOP = "sf_board_ulx3s"
SOURCES = (
    HW / "uart" / "sf_uart_rx.v",
    HW / "uart" / "sf_uart_tx.v",
    HW / "uart" / "sf_uart_bridge.v",
    HW / "axi_ram" / "sf_axi_ram.v",
    HW / "board" / "sf_board_ulx3s.v",
)
CLOCK_MHZ = 25.0  # the on-board oscillator
BAUD = 115_200
CLKS_PER_BIT = round(CLOCK_MHZ * 1e6 / BAUD)  # 217
RAM_WORDS = 16384  # 64 KiB of block RAM for frames
DEVICE = "lfe5u-85f"
PACKAGE = "CABGA381"


@dataclass(frozen=True)
class Pin:
    port: str
    site: str
    direction: str  # "in" / "out"
    comment: str


PINS = (
    Pin("clk_25mhz", "G2", "in", "25 MHz oscillator"),
    Pin("ftdi_txd", "M1", "in", "USB serial, host -> FPGA (the FTDI's TXD)"),
    Pin("ftdi_rxd", "L4", "out", "USB serial, FPGA -> host (the FTDI's RXD)"),
    *(
        Pin(f"led[{i}]", site, "out", f"LED D{i}")
        for i, site in enumerate(("B2", "C2", "C1", "D2", "D1", "E2", "E1", "H3"))
    ),
)


def lpf(clock_mhz: float = CLOCK_MHZ) -> str:
    """Constraints for every I/O of ``sf_board_ulx3s`` and its clock."""
    lines = [
        "# streamfold: sf_board_ulx3s on a ULX3S (LFE5U-85F). Every top-level port is placed;",
        "# nextpnr runs without --lpf-allow-unconstrained.",
        "SYSCONFIG CONFIG_IOVOLTAGE=3.3 COMPRESS_CONFIG=ON;",
    ]
    for p in PINS:
        lines.append(f'LOCATE COMP "{p.port}" SITE "{p.site}"; # {p.comment}')
        extra = " DRIVE=4" if p.direction == "out" else ""
        pull = "NONE" if p.port == "clk_25mhz" else "UP"
        lines.append(f'IOBUF PORT "{p.port}" PULLMODE={pull} IO_TYPE=LVCMOS33{extra};')
    lines.append(f'FREQUENCY PORT "clk_25mhz" {clock_mhz:g} MHZ;')
    return "\n".join(lines) + "\n"
