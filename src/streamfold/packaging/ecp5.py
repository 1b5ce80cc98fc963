"""The open-tool board flow: a build on a ULX3S (``hw.board.ulx3s``), synthesised with Yosys,
placed and routed with nextpnr-ecp5 against constraints for every I/O (never
``--lpf-allow-unconstrained``), packed with ecppack. Reports the achieved Fmax and the frames/s
of the shell at it (``hw.iodma.cost``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamfold.cost.devices import device
from streamfold.hw.block import StreamFormat
from streamfold.hw.board import ulx3s
from streamfold.hw.iodma import cost
from streamfold.hw.shell.layout import ShellLayout
from streamfold.ir.dtypes import IntType
from streamfold.synth.nextpnr import place_and_route
from streamfold.synth.yosys import synthesize

LPF = "ulx3s.lpf"


@dataclass(frozen=True)
class BoardBuild:
    bitstream: Path
    lpf: Path
    fmax_mhz: float
    clock_mhz: float  # the board clock the design runs at
    shell_cycles_per_frame: int

    @property
    def frames_per_s(self) -> float:
        """At the board clock (the oscillator; below Fmax when timing is met)."""
        return min(self.clock_mhz, self.fmax_mhz) * 1e6 / self.shell_cycles_per_frame

    @property
    def frames_per_s_at_fmax(self) -> float:
        return self.fmax_mhz * 1e6 / self.shell_cycles_per_frame


def _fmt(raw: dict[str, Any]) -> StreamFormat:
    return StreamFormat(IntType.parse(str(raw["dtype"])), int(raw["elems"]), int(raw["vector"]))


def build_ulx3s(build_dir: Path, manifest: dict[str, Any], workdir: Path) -> BoardBuild:
    """Bitstream of ``build_dir`` on a ULX3S, made in ``workdir`` (netlist, logs, ``top.bit``)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    lpf_path = workdir / LPF
    lpf_path.write_text(ulx3s.lpf())
    sources = [Path(build_dir) / str(s) for s in manifest["sources"]]
    memories = [
        (Path(str(m)).name, (Path(build_dir) / str(m)).read_text()) for m in manifest["memories"]
    ]
    synth = synthesize(
        ulx3s.TOP,
        [*sources, *ulx3s.SOURCES],
        family="ecp5",
        workdir=workdir,
        memories=memories,
        netlist=True,
    )
    assert synth.netlist is not None  # asked for with netlist=True
    pnr = place_and_route(
        synth.netlist,
        device(ulx3s.DEVICE),
        target_mhz=ulx3s.CLOCK_MHZ,
        bitstream=True,
        lpf=lpf_path,
    )
    assert pnr.bitstream is not None
    predicted = manifest["predicted"]
    layout = ShellLayout.of(_fmt(manifest["stream_in"]), _fmt(manifest["stream_out"]))
    interval = int(predicted["cycles_per_frame"])
    return BoardBuild(
        pnr.bitstream,
        lpf_path,
        pnr.fmax_mhz,
        ulx3s.CLOCK_MHZ,
        cost.cycles_per_frame(layout, interval),
    )
