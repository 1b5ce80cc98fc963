"""The shell's AXI4-Lite register map (``hw/axilite_regs/sf_axilite_regs.v``), byte offsets."""

from __future__ import annotations

from enum import IntEnum

SHELL_ID = 0x5346_4C44  # "SFLD"
SHELL_VERSION = 0x0001_0000


class Reg(IntEnum):
    ID = 0x00
    VERSION = 0x04
    CTRL = 0x08
    STATUS = 0x0C
    SRC_ADDR = 0x10
    DST_ADDR = 0x14
    FRAMES = 0x18
    FRAMES_IN = 0x1C
    FRAMES_OUT = 0x20
    CYCLES_LO = 0x24
    CYCLES_HI = 0x28
    RUN_CYCLES = 0x2C
    IN_FRAME_BYTES = 0x30
    OUT_FRAME_BYTES = 0x34
    IN_WORD_BYTES = 0x38
    OUT_WORD_BYTES = 0x3C
    BUS_BYTES = 0x40


class Ctrl(IntEnum):
    START = 1 << 0
    SOFT_RESET = 1 << 1


class Status(IntEnum):
    BUSY = 1 << 0
    DONE = 1 << 1
    FRAME_ERROR = 1 << 2
    HAS_DMA = 1 << 3
