"""The ULX3S board top: constraints for every I/O; lint; the UART host link (bridge, RAM, the
build's shell) round-trips frames through the same driver as every board, in Verilator."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from shell_nets import build, mlp_graph, random_codes
from streamfold.codegen.build_dir import read_manifest
from streamfold.hw.board import ulx3s
from streamfold.runtime import Accelerator
from streamfold.runtime.uart import SIM_CLKS_PER_BIT, SimLink, UartBus, build_board_sim
from streamfold.sim.rtl import lint

_PORT = re.compile(r"^\s*(input|output)\s+wire\s+(?:\[(\d+):0\]\s+)?(\w+)", re.M)


def _top_ports() -> list[str]:
    text = (Path(ulx3s.SOURCES[-1])).read_text()
    ports = []
    for _, msb, name in _PORT.findall(text):
        ports += [f"{name}[{i}]" for i in range(int(msb) + 1)] if msb else [name]
    return ports


def test_every_io_of_the_board_top_is_constrained() -> None:
    lpf = ulx3s.lpf()
    located = re.findall(r'LOCATE COMP "([^"]+)" SITE "([A-Z]+\d+)";', lpf)
    assert sorted(p for p, _ in located) == sorted(_top_ports())
    assert len({site for _, site in located}) == len(located)  # no pin twice
    assert 'FREQUENCY PORT "clk_25mhz" 25 MHZ;' in lpf
    for port, _ in located:
        assert f'IOBUF PORT "{port}" ' in lpf


@pytest.fixture(scope="module")
def board_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(mlp_graph(), "folded", tmp_path_factory.mktemp("ulx3s") / "b")


@pytest.mark.rtl
def test_board_top_passes_lint(board_build: Path, rtl_cache: Path) -> None:
    sources = [board_build / s for s in read_manifest(board_build)["sources"]]
    lint(
        ulx3s.TOP, [*sources, *ulx3s.SOURCES], parameters=(("CLKS_PER_BIT", 8), ("RAM_WORDS", 1024))
    )


@pytest.mark.rtl
def test_uart_link_round_trips_frames_through_the_driver(
    board_build: Path, rtl_cache: Path
) -> None:
    x = random_codes(np.random.default_rng(9), 24)
    expected = Accelerator(board_build, "exact").run(x)
    with Accelerator(board_build, "ulx3s-virtual", clock_mhz=ulx3s.CLOCK_MHZ) as acc:
        np.testing.assert_array_equal(acc.run(x, batch=10), expected)
        assert acc.counters()["frames_out"] == 24
        t = acc.throughput()
        assert t.frames == 4 and t.cycles >= 4 * 840  # the pipeline's 840-cycle interval


@pytest.mark.rtl
def test_bridge_answers_unknown_commands_and_moves_bytes(
    board_build: Path, rtl_cache: Path
) -> None:
    sim = build_board_sim(board_build, read_manifest(board_build))
    link = SimLink(sim.executable, sim.workdir, SIM_CLKS_PER_BIT)
    try:
        assert link.exchange(b"Z", 1) == b"?"
        bus = UartBus(link, 4 * ulx3s.RAM_WORDS)
        data = bytes(range(7, 7 + 77))
        bus.write(0x101, data)  # unaligned start and length: byte lanes
        assert bus.read(0x101, 77) == data
        assert bus.read(0x100, 79)[1:78] == data  # reads of other alignments agree
    finally:
        link.close()
