"""The device database: the resources of the FPGAs streamfold targets, each number cited.

Block RAM is counted in the family's native unit: RAMB18 (18 Kb) for Xilinx, where one RAMB36
is two RAMB18; DP16KD (18 Kb EBR) for ECP5. LUTRAM is the number of LUTs that can be used as
distributed RAM (Xilinx: the LUTs of SLICEMs; ECP5: the LUT4s of slices 0 and 1 of each PFU, the
datasheet's "distributed RAM bits" / 16). DSPs are DSP48E1/DSP48E2 slices for Xilinx and
MULT18X18D multipliers for ECP5. ``clock_mhz`` is a typical clock for a streamfold design on the
board that carries the part (a design convention, with its source), not a datasheet limit.

Sources:
- DS190: Xilinx, "Zynq-7000 SoC Data Sheet: Overview" (v1.11.1), Table 1 (Zynq-7000 SoC Family);
  SLICEM count from UG474 "7 Series FPGAs CLB User Guide", Table 1-1 (Z-7020: 4,350 SLICEMs).
- DS891: Xilinx, "Zynq UltraScale+ MPSoC Data Sheet: Overview" (v1.9), Table 1 / Table 2
  (MPSoC device-feature summary: CLB LUTs, CLB flip-flops, distributed RAM, block RAM, DSP).
- DS923: Xilinx, "Virtex UltraScale+ FPGA Data Sheet: Overview" (v1.14), Table 1 (VU9P).
- FPGA-DS-02012: Lattice, "ECP5 and ECP5-5G Family Data Sheet" (2.1), Table 1.1 (ECP5 and
  ECP5-5G Family Selection Guide): LUTs, sysMEM blocks (18 Kb), distributed RAM bits, 18x18
  multipliers; section 2.2 (each slice has two LUT4s and two registers).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from streamfold.errors import StreamfoldError


class Family(enum.Enum):
    """An FPGA architecture family: decides the Yosys mapping and the native BRAM unit."""

    XILINX7 = "xilinx7"
    XILINX_USP = "xilinxus+"
    ECP5 = "ecp5"

    @property
    def bram_unit(self) -> str:
        return "DP16KD" if self is Family.ECP5 else "RAMB18"

    @property
    def dsp_unit(self) -> str:
        return {
            Family.XILINX7: "DSP48E1",
            Family.XILINX_USP: "DSP48E2",
            Family.ECP5: "MULT18X18D",
        }[self]


@dataclass(frozen=True)
class Device:
    """The resources of one FPGA part; ``source`` cites where each number comes from."""

    name: str
    family: Family
    boards: tuple[str, ...]
    luts: int
    ffs: int
    bram: int  # native unit: RAMB18 (Xilinx) or DP16KD (ECP5)
    lutram: int  # LUTs usable as distributed RAM
    dsps: int  # DSP48E1 / DSP48E2 / MULT18X18D
    clock_mhz: float  # typical design clock (see the module docstring)
    source: str
    clock_source: str
    package: str = ""  # nextpnr package name (ECP5 only)
    # Peak off-chip memory bandwidth (GB/s) the fabric can stream weights from, and its source;
    # None where the part has no hard memory controller and the board decides (ECP5).
    mem_gbytes_per_s: float | None = None
    mem_source: str = "unknown: no hard memory controller; depends on the board's memory"

    @property
    def bram36(self) -> int:
        """Xilinx RAMB36 tiles (two RAMB18 each); 0 for ECP5."""
        return 0 if self.family is Family.ECP5 else self.bram // 2

    @property
    def bram_kbits(self) -> int:
        return self.bram * 18


_DS190 = "DS190 Zynq-7000 SoC Data Sheet: Overview, Table 1; LUTRAM: UG474 Table 1-1 (SLICEM x 4)"
_DS891 = (
    "DS891 Zynq UltraScale+ MPSoC Data Sheet: Overview, Table 1 (LUTRAM = distributed RAM / 64)"
)
_DS923 = (
    "DS923 Virtex UltraScale+ FPGA Data Sheet: Overview, Table 1 (LUTRAM = distributed RAM / 64)"
)
_ECP5 = (
    "FPGA-DS-02012 ECP5 and ECP5-5G Family Data Sheet, Table 1.1 "
    "(FFs = LUTs: two LUT4 and two FFs per slice, section 2.2; LUTRAM = distributed RAM bits / 16)"
)

# Off-chip bandwidth: peak transfer rate x data width of the memory interface (no efficiency).
_Z7_DDR = (
    "DS190 Zynq-7000 overview, PS memory interfaces: DDR3 at 1,066 Mb/s on a 32-bit bus = "
    "4.26 GB/s (the PYNQ-Z1 wires 16 bits, halving it)"
)
_ZU_DDR = "DS891 Zynq UltraScale+ MPSoC overview, PS DDR: DDR4 at 2,400 Mb/s on 64 bits = 19.2 GB/s"
_F1_DDR = "AWS EC2 F1: four DDR4-2400 channels of 64 bits (4 x 19.2 GB/s) on the FPGA card"

DEVICES: dict[str, Device] = {
    d.name: d
    for d in (
        Device(
            "xc7z020", Family.XILINX7, ("PYNQ-Z1", "PYNQ-Z2"),
            luts=53_200, ffs=106_400, bram=280, lutram=17_400, dsps=220,
            clock_mhz=100.0, source=_DS190,
            clock_source="PYNQ overlays' default PL clock FCLK_CLK0 = 100 MHz",
            mem_gbytes_per_s=4.26, mem_source=_Z7_DDR,
        ),
        Device(
            "xczu3eg", Family.XILINX_USP, ("Ultra96",),
            luts=70_560, ffs=141_120, bram=432, lutram=28_800, dsps=360,
            clock_mhz=200.0, source=_DS891,
            clock_source="FINN's Ultra96 builds target 5 ns (200 MHz)",
            mem_gbytes_per_s=19.2, mem_source=_ZU_DDR,
        ),
        Device(
            "xczu7ev", Family.XILINX_USP, ("ZCU104",),
            luts=230_400, ffs=460_800, bram=624, lutram=101_760, dsps=1_728,
            clock_mhz=200.0, source=_DS891,
            clock_source="FINN's ZCU104 builds target 5 ns (200 MHz)",
            mem_gbytes_per_s=19.2, mem_source=_ZU_DDR,
        ),
        Device(
            "xcvu9p", Family.XILINX_USP, ("AWS F1",),
            luts=1_182_240, ffs=2_364_480, bram=4_320, lutram=591_840, dsps=6_840,
            clock_mhz=250.0, source=_DS923,
            clock_source="AWS F1 shell clk_main_a0 = 250 MHz",
            mem_gbytes_per_s=76.8, mem_source=_F1_DDR,
        ),
        Device(
            "lfe5u-25f", Family.ECP5, ("ULX3S-25F", "OrangeCrab-25F"),
            luts=24_288, ffs=24_288, bram=56, lutram=12_144, dsps=28,
            clock_mhz=50.0, source=_ECP5,
            clock_source="ULX3S 25 MHz / OrangeCrab 48 MHz oscillators; ~50 MHz via the PLL",
            package="CABGA381",
        ),
        Device(
            "lfe5u-85f", Family.ECP5, ("ULX3S-85F", "OrangeCrab-85F"),
            luts=83_640, ffs=83_640, bram=208, lutram=41_820, dsps=156,
            clock_mhz=50.0, source=_ECP5,
            clock_source="ULX3S 25 MHz / OrangeCrab 48 MHz oscillators; ~50 MHz via the PLL",
            package="CABGA381",
        ),
    )
}  # fmt: skip


def device(name: str) -> Device:
    """The device called ``name`` (case-insensitive, e.g. ``xc7z020`` or ``LFE5U-85F``)."""
    try:
        return DEVICES[name.lower()]
    except KeyError:
        known = ", ".join(DEVICES)
        raise StreamfoldError(f"device: name must be one of {known}, not {name!r}") from None
