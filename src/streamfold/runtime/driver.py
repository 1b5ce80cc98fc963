"""The host driver of the memory-mapped shell: one code path for every board.

A board is anything with the ``Bus`` methods: 32-bit register access to the shell's AXI4-Lite
slave, and a memory the shell's DMA can reach (allocate, write, read). The virtual board
(``runtime.virtual``: the verilated shell with an AXI memory model) and a PYNQ board
(``runtime.pynq``) differ only there; packing, the register protocol, waiting and unpacking
are here, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from streamfold.errors import StreamfoldError
from streamfold.hw.shell.layout import ShellLayout
from streamfold.runtime.regs import SHELL_ID, SHELL_VERSION, Ctrl, Reg, Status

# Beyond the cycle model's estimate, how long a run may take before the board counts as hung.
WAIT_LIMIT_CYCLES = 10_000_000


class BoardError(StreamfoldError):
    """The board does not answer as the shell of this build must."""


class Bus(Protocol):
    def read32(self, offset: int) -> int: ...
    def write32(self, offset: int, value: int) -> None: ...
    def allocate(self, nbytes: int) -> int:
        """A buffer the DMA can reach; its bus address (aligned to 4 KiB)."""
        ...

    def write(self, addr: int, data: bytes) -> None: ...
    def read(self, addr: int, nbytes: int) -> bytes: ...
    def wait(self, cycles: int) -> None:
        """Let about ``cycles`` clock cycles pass (a simulator runs them; hardware sleeps)."""
        ...


@dataclass(frozen=True)
class RunStats:
    frames: int
    run_cycles: int  # RUN_CYCLES: cycles from start to the last write response


class ShellDriver:
    """Runs batches of frames through the shell: write inputs, program, start, wait, read."""

    def __init__(self, bus: Bus, layout: ShellLayout) -> None:
        self.bus = bus
        self.layout = layout
        self._buffers: tuple[int, int, int] | None = None  # frames, src, dst
        self.check()

    def check(self) -> None:
        """The board's shell must be a streamfold shell with this build's frame layout."""
        ident = self.bus.read32(Reg.ID)
        if ident != SHELL_ID:
            raise BoardError(f"board: register ID must be {SHELL_ID:#010x}, not {ident:#010x}")
        version = self.bus.read32(Reg.VERSION)
        if version >> 16 != SHELL_VERSION >> 16:
            raise BoardError(
                f"board: shell major version must be {SHELL_VERSION >> 16}, not {version >> 16}"
            )
        if not self.bus.read32(Reg.STATUS) & Status.HAS_DMA:
            raise BoardError("board: the shell must have a DMA (sf_top_axi), not be sf_top_axis")
        inp, out = self.layout.inp, self.layout.out
        for reg, want in (
            (Reg.IN_FRAME_BYTES, inp.frame_bytes),
            (Reg.OUT_FRAME_BYTES, out.frame_bytes),
            (Reg.IN_WORD_BYTES, inp.word_bytes),
            (Reg.OUT_WORD_BYTES, out.word_bytes),
            (Reg.BUS_BYTES, inp.bus_bytes),
        ):
            got = self.bus.read32(reg)
            if got != want:
                raise BoardError(
                    f"board: register {reg.name} must be {want} (this build), not {got}; "
                    "is the bitstream of another build loaded?"
                )

    def run(self, image: bytes, frames: int, *, expected_cycles: int = 0) -> tuple[bytes, RunStats]:
        """One DMA run of ``frames`` frames (a memory image, ``hw.shell.layout``); the output
        image and the cycle count the shell measured."""
        src, dst = self._buffers_for(frames)
        self.bus.write(src, image)
        self.bus.write32(Reg.SRC_ADDR, src)
        self.bus.write32(Reg.DST_ADDR, dst)
        self.bus.write32(Reg.FRAMES, frames)
        self.bus.write32(Reg.CTRL, Ctrl.START)
        self._wait_done(expected_cycles)
        stats = RunStats(frames, self.bus.read32(Reg.RUN_CYCLES))
        return self.bus.read(dst, frames * self.layout.out.stride), stats

    def _buffers_for(self, frames: int) -> tuple[int, int]:
        if self._buffers is None or self._buffers[0] < frames:
            src = self.bus.allocate(frames * self.layout.inp.stride)
            dst = self.bus.allocate(frames * self.layout.out.stride)
            self._buffers = (frames, src, dst)
        return self._buffers[1], self._buffers[2]

    def _wait_done(self, expected_cycles: int) -> None:
        self.bus.wait(expected_cycles)
        step = max(64, expected_cycles // 64)
        limit = 20 * expected_cycles + WAIT_LIMIT_CYCLES
        waited = expected_cycles
        while not self.bus.read32(Reg.STATUS) & Status.DONE:
            if waited > limit:
                raise BoardError(
                    f"board: a run must finish within {limit} cycles, and has not "
                    f"(STATUS={self.bus.read32(Reg.STATUS):#x})"
                )
            self.bus.wait(step)
            waited += step

    def counters(self) -> dict[str, int]:
        """FRAMES_IN, FRAMES_OUT and the 64-bit cycle counter as the board reports them."""
        lo = self.bus.read32(Reg.CYCLES_LO)
        hi = self.bus.read32(Reg.CYCLES_HI)
        return {
            "frames_in": self.bus.read32(Reg.FRAMES_IN),
            "frames_out": self.bus.read32(Reg.FRAMES_OUT),
            "cycles": hi << 32 | lo,
        }

    def soft_reset(self) -> None:
        if self.bus.read32(Reg.STATUS) & Status.BUSY:
            raise BoardError("board: soft reset must wait until STATUS.busy is 0")
        self.bus.write32(Reg.CTRL, Ctrl.SOFT_RESET)
        self.bus.wait(4)
