"""One host API for a build directory, whatever runs it:

    acc = Accelerator("build/", backend="virtual")
    y = acc.run(x)           # x: (frames, *input_shape) integer codes
    acc.throughput()         # frames/s at the clock, measured by the shell's cycle counter

Backends: ``exact`` (the integer reference executor ``sim.exact`` on the build's graph),
``virtual`` (the shell RTL in Verilator with an AXI memory model, through ``ShellDriver``) and
``pynq`` (a Zynq board with the bitstream loaded, through the same ``ShellDriver``; only the
register and memory access differ, ``runtime.pynq``). Outputs are flattened channels-first,
``(frames, elements)``, as ``sim.exact`` and ``sim.design.simulate_build`` return them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.codegen.build_dir import read_manifest
from streamfold.errors import StreamfoldError
from streamfold.hw.block import StreamFormat
from streamfold.hw.shell.layout import ShellLayout, frames_to_words, words_to_frames
from streamfold.ir.dtypes import IntType
from streamfold.runtime.driver import Bus, RunStats, ShellDriver
from streamfold.sim.stream import from_stream_order, pack, to_stream_order, unpack

BACKENDS = ("exact", "virtual", "pynq", "ulx3s-virtual", "ulx3s")


class RuntimeError_(StreamfoldError):
    """A runtime call with arguments the build cannot take."""


@dataclass(frozen=True)
class Throughput:
    """Frames per second at ``clock_mhz``: measured over the last run (shell cycle counter,
    DMA included) and the bare pipeline's (the cycle model's initiation interval)."""

    clock_mhz: float
    frames: int
    cycles: int  # of the last run, from start to the last write response (None-free: 0 = none)
    pipeline_cycles_per_frame: int

    @property
    def cycles_per_frame(self) -> float:
        return self.cycles / self.frames if self.frames else float("nan")

    @property
    def frames_per_s(self) -> float:
        return self.clock_mhz * 1e6 / self.cycles_per_frame if self.frames else float("nan")

    @property
    def pipeline_frames_per_s(self) -> float:
        return self.clock_mhz * 1e6 / self.pipeline_cycles_per_frame

    @property
    def dma_overhead(self) -> float:
        """Extra cycles per frame over the bare pipeline, as a fraction of the pipeline's."""
        return self.cycles_per_frame / self.pipeline_cycles_per_frame - 1.0


def _fmt(raw: dict[str, Any]) -> StreamFormat:
    return StreamFormat(IntType.parse(raw["dtype"]), int(raw["elems"]), int(raw["vector"]))


class Accelerator:
    def __init__(
        self,
        build_dir: Path | str,
        backend: str = "exact",
        *,
        clock_mhz: float = 100.0,
        bus: Bus | None = None,
        seed: int = 0,
        max_latency: int = 0,
        stall: float = 0.0,
        cache_dir: Path | None = None,
        bitfile: Path | str | None = None,
        port: str | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise RuntimeError_(
                f"Accelerator: backend must be one of {', '.join(BACKENDS)}, not {backend!r}"
            )
        if not clock_mhz > 0:
            raise RuntimeError_(f"Accelerator: clock_mhz must be > 0, not {clock_mhz}")
        self.build_dir = Path(build_dir)
        self.manifest = read_manifest(self.build_dir)
        self.backend = backend
        self.clock_mhz = clock_mhz
        self.fmt_in = _fmt(self.manifest["stream_in"])
        self.fmt_out = _fmt(self.manifest["stream_out"])
        self.layout = ShellLayout.of(self.fmt_in, self.fmt_out)
        self.input_shape = tuple(int(d) for d in self.manifest["input_shape"])
        self.output_shape = tuple(int(d) for d in self.manifest["output_shape"])
        self.interval = int(self.manifest["predicted"]["cycles_per_frame"])
        self.latency = int(self.manifest["predicted"]["latency_cycles"])
        self._last: RunStats | None = None
        self._graph: Any = None
        self.bus: Bus | None = None
        self.driver: ShellDriver | None = None
        if backend == "exact":
            from streamfold.flow import load_graph

            self._graph = load_graph(self.build_dir / "graph.hw.sfir")
            return
        if "shell" not in self.manifest:
            raise RuntimeError_(
                f"Accelerator: {self.build_dir} must hold the shell tops (sf_top_axi), and was "
                "built by an older streamfold; rebuild it"
            )
        if bus is None:
            bus = self._open_bus(backend, seed, max_latency, stall, cache_dir, bitfile, port)
        self.bus = bus
        self.driver = ShellDriver(bus, self.layout)

    def _open_bus(
        self,
        backend: str,
        seed: int,
        max_latency: int,
        stall: float,
        cache_dir: Path | None,
        bitfile: Path | str | None,
        port: str | None,
    ) -> Bus:
        if backend.startswith("ulx3s"):
            return self._open_ulx3s(backend, cache_dir, port)
        if backend == "virtual":
            from streamfold.runtime.virtual import VirtualBoard, build_board

            sim = build_board(self.build_dir, self.manifest, cache_dir)
            return VirtualBoard(sim, seed=seed, max_latency=max_latency, stall=stall)
        from streamfold.runtime.pynq import PynqBus

        if bitfile is None:
            raise RuntimeError_("Accelerator: backend 'pynq' must be given bitfile=, not None")
        return PynqBus(Path(bitfile), clock_mhz=self.clock_mhz)

    def _open_ulx3s(self, backend: str, cache_dir: Path | None, port: str | None) -> Bus:
        from streamfold.hw.board import ulx3s
        from streamfold.runtime.uart import SerialLink, SimLink, UartBus, build_board_sim

        ram = 4 * ulx3s.RAM_WORDS
        if backend == "ulx3s-virtual":
            sim = build_board_sim(self.build_dir, self.manifest, cache_dir)
            from streamfold.runtime.uart import SIM_CLKS_PER_BIT

            return UartBus(SimLink(sim.executable, sim.workdir, SIM_CLKS_PER_BIT), ram)
        if port is None:
            raise RuntimeError_("Accelerator: backend 'ulx3s' must be given port=, not None")
        link = SerialLink(port, baud=ulx3s.BAUD, clock_mhz=ulx3s.CLOCK_MHZ)
        return UartBus(link, ram)

    # -------------------------------------------------------------------------------------
    def run(self, x: npt.ArrayLike, *, batch: int | None = None) -> npt.NDArray[np.int64]:
        """Outputs for input codes ``x`` ``(frames, *input_shape)`` (or flattened), in batches of
        ``batch`` frames per DMA run (default: all at once)."""
        arr = np.asarray(x)
        frames = arr.shape[0] if arr.ndim else 0
        if frames < 1:
            raise RuntimeError_(f"Accelerator.run: x must hold at least one frame, not {arr.shape}")
        if batch is not None and batch < 1:
            raise RuntimeError_(f"Accelerator.run: batch must be >= 1, not {batch}")
        if self._graph is not None:
            from streamfold.sim.exact import run_single

            out = np.asarray(run_single(self._graph, arr.reshape(frames, *self.input_shape)))
            self._last = RunStats(frames, frames * self.interval)
            return out.reshape(frames, -1)
        step = batch or frames
        parts = [self._run_batch(arr[k : k + step]) for k in range(0, frames, step)]
        return np.concatenate(parts)

    def _run_batch(self, x: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        assert self.driver is not None
        n = x.shape[0]
        words = pack(to_stream_order(x, self.input_shape), self.fmt_in)
        image = words_to_frames(words, self.layout.inp)
        expected = self.latency + n * self.interval
        out_image, stats = self.driver.run(image, n, expected_cycles=expected)
        self._last = stats
        out_words = frames_to_words(out_image, self.layout.out, n)
        y = unpack(out_words, self.fmt_out, n)
        return np.asarray(from_stream_order(y, self.output_shape), dtype=np.int64)

    def throughput(self) -> Throughput:
        """Frames/s of the last run at ``clock_mhz`` (``exact``: the cycle model's figure)."""
        if self._last is None:
            raise RuntimeError_("Accelerator.throughput: run() must be called first")
        return Throughput(self.clock_mhz, self._last.frames, self._last.run_cycles, self.interval)

    def counters(self) -> dict[str, int]:
        if self.driver is None:
            raise RuntimeError_("Accelerator.counters: the exact backend has no registers")
        return self.driver.counters()

    def close(self) -> None:
        close = getattr(self.bus, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Accelerator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
