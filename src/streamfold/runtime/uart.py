"""The open board's host link: ``driver.Bus`` over a byte stream to ``sf_uart_bridge``
(``hw/uart``), so the shell driver runs unchanged over a serial line.

A ``Link`` moves bytes: ``SimLink`` talks to the board's RTL in Verilator (the UART bit by bit,
``sim/uart_harness.cpp``); ``SerialLink`` to a real board through pyserial (NOT RUN HERE: no
board is attached where streamfold is developed). The bridge protocol (little-endian fields):
``W a:2 d:4 -> K``, ``R a:2 -> d:4``, ``M x:4 n:2 bytes -> K``, ``D x:4 n:2 -> n bytes``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Protocol

from streamfold.errors import ToolError
from streamfold.runtime.driver import BoardError
from streamfold.runtime.process import LineProcess

UART_HARNESS = Path(__file__).resolve().parents[1] / "sim" / "uart_harness.cpp"
_CHUNK = 0xFFFF  # bytes per memory command (16-bit length)
_ALIGN = 64


class Link(Protocol):
    def exchange(self, data: bytes, reply: int) -> bytes: ...
    def wait(self, cycles: int) -> None: ...
    def close(self) -> None: ...


class UartBus:
    """``driver.Bus`` over the bridge protocol; memory is the board's on-chip RAM."""

    def __init__(self, link: Link, ram_bytes: int) -> None:
        self.link = link
        self.ram_bytes = ram_bytes
        self._next = _ALIGN  # address 0 stays unused: a zero SRC/DST is a driver bug

    def _ack(self, data: bytes) -> None:
        got = self.link.exchange(data, 1)
        if got != b"K":
            raise BoardError(f"uart link: command {data[:1]!r} must be acknowledged, not {got!r}")

    def read32(self, offset: int) -> int:
        return int.from_bytes(self.link.exchange(b"R" + offset.to_bytes(2, "little"), 4), "little")

    def write32(self, offset: int, value: int) -> None:
        self._ack(b"W" + offset.to_bytes(2, "little") + (value & 0xFFFFFFFF).to_bytes(4, "little"))

    def allocate(self, nbytes: int) -> int:
        addr = self._next
        size = -(-max(nbytes, 1) // _ALIGN) * _ALIGN
        if addr + size > self.ram_bytes:
            raise BoardError(
                f"uart link: buffers must fit the board's {self.ram_bytes} bytes of RAM, "
                f"not need {addr + size} (run fewer frames per batch)"
            )
        self._next = addr + size
        return addr

    def write(self, addr: int, data: bytes) -> None:
        for k in range(0, len(data), _CHUNK):
            part = data[k : k + _CHUNK]
            head = b"M" + (addr + k).to_bytes(4, "little") + len(part).to_bytes(2, "little")
            self._ack(head + part)

    def read(self, addr: int, nbytes: int) -> bytes:
        out = bytearray()
        for k in range(0, nbytes, _CHUNK):
            n = min(_CHUNK, nbytes - k)
            head = b"D" + (addr + k).to_bytes(4, "little") + n.to_bytes(2, "little")
            out += self.link.exchange(head, n)
        return bytes(out)

    def wait(self, cycles: int) -> None:
        self.link.wait(cycles)

    def close(self) -> None:
        self.link.close()


def build_board_sim(
    build_dir: Path, manifest: dict[str, Any], cache_dir: Path | None = None
) -> Any:
    """The ULX3S board top (the build's sf_top_axi, the UART bridge, the RAM) in Verilator,
    with a fast serial line (8 cycles per bit) so that tests take seconds, not minutes."""
    from streamfold.hw.board import ulx3s
    from streamfold.sim.verilate import build

    sources = [build_dir / str(s) for s in manifest["sources"]] + list(ulx3s.SOURCES)
    memories = [(Path(str(m)).name, (build_dir / str(m)).read_text()) for m in manifest["memories"]]
    return build(
        ulx3s.TOP,
        sources,
        in_width=1,
        out_width=1,
        memories=memories,
        parameters=(("CLKS_PER_BIT", SIM_CLKS_PER_BIT),),
        cache_dir=cache_dir,
        harness=UART_HARNESS,
    )


SIM_CLKS_PER_BIT = 8


class SimLink:
    """The serial line to the board RTL in Verilator (cycle-accurate, bit by bit)."""

    def __init__(self, executable: Path, workdir: Path, clks_per_bit: int) -> None:
        self._sim = LineProcess([str(executable), str(clks_per_bit)], workdir, "uart board")
        self._ask = self._sim.ask

    def exchange(self, data: bytes, reply: int) -> bytes:
        return bytes.fromhex(self._ask(f"x {reply} {data.hex()}"))

    def wait(self, cycles: int) -> None:
        if cycles > 0:
            self._ask(f"c {cycles}")

    def cycle(self) -> int:
        return int(self._ask("t"))

    def close(self) -> None:
        self._sim.close()


class SerialLink:
    """A real board's USB serial port (pyserial). NOT RUN HERE (no board attached)."""

    def __init__(self, port: str, *, baud: int, clock_mhz: float) -> None:
        try:
            import serial
        except ImportError:
            raise ToolError(
                "uart link: the pyserial package must be installed to reach a board, and is not"
            ) from None
        self._port: Any = serial.Serial(port, baud, timeout=5.0)
        self._clock_hz = clock_mhz * 1e6

    def exchange(self, data: bytes, reply: int) -> bytes:
        self._port.write(data)
        got = bytes(self._port.read(reply))
        if len(got) != reply:
            raise BoardError(f"uart link: the board must answer {reply} bytes, not {len(got)}")
        return got

    def wait(self, cycles: int) -> None:
        time.sleep(cycles / self._clock_hz)

    def close(self) -> None:
        self._port.close()
