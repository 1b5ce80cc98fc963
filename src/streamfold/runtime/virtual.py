"""The virtual board: the build's real shell RTL (``sf_top_axi``) verilated with an AXI4 memory
model and an AXI4-Lite bus driver (``sim/board_harness.cpp``), behind the ``driver.Bus``
methods. Registers and memory are reached through the simulator, so the driver code that runs
here is the code that runs on a board.

The memory model answers each burst after a random latency (0..``max_latency`` cycles) and
withholds its ready/valid signals with probability ``stall`` per cycle (seeded), and checks
the AXI protocol as it goes (``protocol_error``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from streamfold.errors import SimulationError
from streamfold.hw.shell.rtl import TOP_AXI
from streamfold.runtime.process import LineProcess
from streamfold.sim.verilate import RtlBuild, build

BOARD_HARNESS = Path(__file__).resolve().parents[1] / "sim" / "board_harness.cpp"
DEFAULT_MEMORY_BYTES = 64 << 20
_PAGE = 4096


@dataclass(frozen=True)
class BusStats:
    """What the memory model saw (``s`` command of the harness)."""

    ar_bursts: int
    r_beats: int
    aw_bursts: int
    w_beats: int
    b_responses: int
    max_reads_in_flight: int
    max_writes_in_flight: int
    protocol_errors: int


def build_board(
    build_dir: Path, manifest: dict[str, object], cache_dir: Path | None = None
) -> RtlBuild:
    """The virtual board's simulator for a build directory (cached like every RTL build)."""
    sources = [Path(build_dir) / str(s) for s in manifest["sources"]]  # type: ignore[attr-defined]
    memories = [
        (Path(str(m)).name, (Path(build_dir) / str(m)).read_text())
        for m in manifest["memories"]  # type: ignore[attr-defined]
    ]
    fmt_in, fmt_out = manifest["stream_in"], manifest["stream_out"]
    return build(
        TOP_AXI,
        sources,
        in_width=int(fmt_in["width"]),  # type: ignore[index]
        out_width=int(fmt_out["width"]),  # type: ignore[index]
        memories=memories,
        cache_dir=cache_dir,
        harness=BOARD_HARNESS,
    )


class VirtualBoard:
    """One running simulation of the shell; a ``driver.Bus``."""

    def __init__(
        self,
        sim: RtlBuild,
        *,
        seed: int = 0,
        max_latency: int = 0,
        stall: float = 0.0,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
    ) -> None:
        if not 0.0 <= stall < 1.0:
            raise SimulationError(f"virtual board: stall must be in [0, 1), not {stall}")
        if max_latency < 0:
            raise SimulationError(f"virtual board: max_latency must be >= 0, not {max_latency}")
        self.memory_bytes = memory_bytes
        self._next = _PAGE  # address 0 stays unused: a zero SRC/DST is a driver bug
        cmd = [str(sim.executable), str(seed), str(max_latency), repr(float(stall))]
        self._sim = LineProcess([*cmd, str(memory_bytes)], sim.workdir, "virtual board")
        self._ask = self._sim.ask

    # -- driver.Bus
    def read32(self, offset: int) -> int:
        return int(self._ask(f"r {offset:x}"), 16)

    def write32(self, offset: int, value: int) -> None:
        self._ask(f"w {offset:x} {value & 0xFFFFFFFF:x}")

    def allocate(self, nbytes: int) -> int:
        addr = self._next
        size = -(-max(nbytes, 1) // _PAGE) * _PAGE
        if addr + size > self.memory_bytes:
            raise SimulationError(
                f"virtual board: buffers must fit its {self.memory_bytes} bytes of memory, "
                f"not need {addr + size}"
            )
        self._next = addr + size
        return addr

    def write(self, addr: int, data: bytes) -> None:
        self._ask(f"m {addr:x} {data.hex()}")

    def read(self, addr: int, nbytes: int) -> bytes:
        return bytes.fromhex(self._ask(f"d {addr:x} {nbytes}"))

    def wait(self, cycles: int) -> None:
        if cycles > 0:
            self._ask(f"c {cycles}")

    # -- simulator extras
    def cycle(self) -> int:
        return int(self._ask("t"))

    def stats(self) -> BusStats:
        return BusStats(*(int(v) for v in self._ask("s").split()))

    def protocol_error(self) -> str | None:
        answer = self._ask("e")
        return None if answer == "none" else answer

    def close(self) -> None:
        self._sim.close()

    def __enter__(self) -> VirtualBoard:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
