"""The PYNQ board layer: the shell's registers and DMA buffers on a Zynq running PYNQ.

Only what differs from the virtual board lives here (``driver.Bus``): register access through
``pynq.MMIO`` on the shell's AXI4-Lite address, buffers from ``pynq.allocate`` (physically
contiguous, cache-flushed before a run and invalidated after). NOT RUN HERE: no board and no
``pynq`` package exist on the machine streamfold is developed on; the block design
(``packaging``) maps the shell's registers at ``SHELL_BASE``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from streamfold.errors import ToolError

SHELL_BASE = 0x4000_0000  # the block design's address of s_axil (packaging.vivado)
SHELL_SPAN = 0x1000


class PynqBus:
    """``driver.Bus`` on a PYNQ board with the build's bitstream."""

    def __init__(self, bitfile: Path, *, clock_mhz: float, base: int = SHELL_BASE) -> None:
        try:
            import pynq
        except ImportError:
            raise ToolError(
                "pynq backend: the pynq package must be installed (it runs on the board's "
                "PYNQ image), and is not"
            ) from None
        self._pynq: Any = pynq
        pynq.Overlay(str(bitfile))
        self._mmio: Any = pynq.MMIO(base, SHELL_SPAN)
        self._buffers: dict[int, Any] = {}
        self._clock_hz = clock_mhz * 1e6

    def read32(self, offset: int) -> int:
        return int(self._mmio.read(offset))

    def write32(self, offset: int, value: int) -> None:
        self._mmio.write(offset, value & 0xFFFFFFFF)

    def allocate(self, nbytes: int) -> int:
        buf = self._pynq.allocate(shape=(max(nbytes, 1),), dtype="u1")
        addr = int(buf.physical_address)
        self._buffers[addr] = buf
        return addr

    def _buffer(self, addr: int) -> Any:
        return self._buffers[addr]

    def write(self, addr: int, data: bytes) -> None:
        buf = self._buffer(addr)
        buf[: len(data)] = memoryview(data)
        buf.flush()

    def read(self, addr: int, nbytes: int) -> bytes:
        buf = self._buffer(addr)
        buf.invalidate()
        return bytes(buf[:nbytes])

    def wait(self, cycles: int) -> None:
        time.sleep(cycles / self._clock_hz)

    def close(self) -> None:
        for buf in self._buffers.values():
            buf.freebuffer()
        self._buffers.clear()
