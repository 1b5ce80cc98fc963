"""The host runtime: the virtual board (the shell RTL with an AXI memory model of random
latency and backpressure, driven by the same driver code as a board) against the exact
executor; the registers against the simulator; the driver's and the API's errors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from shell_nets import build, mlp_graph, random_codes
from streamfold.errors import StreamfoldError, ToolError
from streamfold.hw.iodma import cost
from streamfold.hw.shell.layout import ShellLayout, Side
from streamfold.runtime import Accelerator
from streamfold.runtime.driver import BoardError, ShellDriver
from streamfold.runtime.regs import SHELL_ID, Reg, Status
from streamfold.runtime.virtual import VirtualBoard


@pytest.fixture(scope="module")
def fast_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """cycles=8: 22-byte input frames faster than the 32-bit DMA can feed."""
    return build(mlp_graph(), "cycles=8", tmp_path_factory.mktemp("fast") / "b")


@pytest.mark.rtl
def test_virtual_board_equals_exact_under_random_latency(fast_build: Path, rtl_cache: Path) -> None:
    x = random_codes(np.random.default_rng(1), 300)
    expected = Accelerator(fast_build, "exact").run(x)
    with Accelerator(fast_build, "virtual", max_latency=100, stall=0.3, seed=7) as acc:
        y = acc.run(x, batch=128)  # three DMA runs: 128, 128, 44 frames
        np.testing.assert_array_equal(y, expected)
        board = acc.bus
        assert isinstance(board, VirtualBoard)
        assert board.protocol_error() is None
        stats = board.stats()
        # every frame read once and written once: no loss, no duplicate
        assert stats.r_beats == 300 * acc.layout.inp.beats
        assert stats.w_beats == 300 * acc.layout.out.beats
        assert stats.b_responses == stats.aw_bursts
        assert stats.max_reads_in_flight > 1  # the DMA keeps several bursts in flight
        counters = acc.counters()
        assert (counters["frames_in"], counters["frames_out"]) == (300, 300)
        t = acc.throughput()
        assert t.frames == 44 and t.pipeline_cycles_per_frame == 8
        assert t.cycles_per_frame > 8  # DMA-bound: 6 beats in per frame, with stalls


@pytest.mark.rtl
def test_shell_cycles_match_the_dma_cost_model(fast_build: Path, rtl_cache: Path) -> None:
    with Accelerator(fast_build, "virtual") as acc:  # an ideal memory: no latency, no stalls
        acc.run(random_codes(np.random.default_rng(4), 400))
        predicted = cost.cycles_per_frame(acc.layout, acc.interval)
        assert predicted == 8  # max(8-cycle pipeline, 6 input beats, 2 output beats)
        assert abs(acc.throughput().cycles_per_frame / predicted - 1) < 0.02


@pytest.mark.rtl
def test_registers_match_the_simulator(fast_build: Path, rtl_cache: Path) -> None:
    with Accelerator(fast_build, "virtual") as acc:
        board = acc.bus
        assert isinstance(board, VirtualBoard)
        assert board.read32(Reg.ID) == SHELL_ID
        assert board.read32(Reg.STATUS) == Status.HAS_DMA
        assert board.read32(0x44) == 0 and board.read32(0x104) == 0  # unmapped: no aliases
        acc.run(random_codes(np.random.default_rng(2), 50))
        assert board.read32(Reg.STATUS) == Status.HAS_DMA | Status.DONE
        before = board.cycle()
        cycles = acc.counters()["cycles"]
        after = board.cycle()
        # the register counts from the first cycle after reset, like the simulator
        assert before <= cycles <= after
        run_cycles = board.read32(Reg.RUN_CYCLES)
        assert 50 * 6 <= run_cycles < before  # at least one cycle per input beat
        assert acc.throughput().cycles == run_cycles
        acc.driver.soft_reset()  # type: ignore[union-attr]
        assert acc.counters()["frames_in"] == 0 and board.read32(Reg.RUN_CYCLES) == 0
        np.testing.assert_array_equal(  # and it still works
            acc.run(random_codes(np.random.default_rng(3), 5)),
            Accelerator(fast_build, "exact").run(random_codes(np.random.default_rng(3), 5)),
        )


@pytest.mark.rtl
def test_driver_refuses_a_shell_of_another_build(fast_build: Path, rtl_cache: Path) -> None:
    with Accelerator(fast_build, "virtual") as acc:
        assert acc.bus is not None
        other = ShellLayout(Side(5, 35), acc.layout.out)
        with pytest.raises(
            BoardError,
            match=r"^board: register IN_FRAME_BYTES must be 35 \(this build\), not 22; ",
        ):
            ShellDriver(acc.bus, other)


def test_unknown_backend_is_refused(fast_build: Path) -> None:
    with pytest.raises(
        StreamfoldError,
        match=r"^Accelerator: backend must be one of exact, virtual, pynq, ulx3s-virtual, ulx3s, "
        r"not 'fpga'$",
    ):
        Accelerator(fast_build, "fpga")


def test_throughput_needs_a_run(fast_build: Path) -> None:
    acc = Accelerator(fast_build, "exact")
    with pytest.raises(
        StreamfoldError, match=r"^Accelerator.throughput: run\(\) must be called first$"
    ):
        acc.throughput()
    acc.run(random_codes(np.random.default_rng(0), 3))
    assert acc.throughput().frames_per_s == 100e6 / 8  # the cycle model's figure


def test_pynq_backend_needs_pynq(fast_build: Path, tmp_path: Path) -> None:
    if importlib.util.find_spec("pynq") is not None:
        pytest.skip("the pynq package is installed: this checks the message where it is not")
    with pytest.raises(ToolError, match=r"^pynq backend: the pynq package must be installed"):
        Accelerator(fast_build, "pynq", bitfile=tmp_path / "x.bit")


def test_build_without_the_shell_is_refused(fast_build: Path, tmp_path: Path) -> None:
    import json
    import shutil

    from streamfold.codegen.build_dir import MANIFEST, manifest_bytes

    old = tmp_path / "old"
    shutil.copytree(fast_build, old)
    body = json.loads((old / MANIFEST).read_text())
    del body["shell"], body["manifest_sha256"]
    (old / MANIFEST).write_bytes(manifest_bytes(body))  # a consistent manifest, as before
    with pytest.raises(
        StreamfoldError,
        match=r"must hold the shell tops \(sf_top_axi\), and was built by an older streamfold; "
        r"rebuild it$",
    ):
        Accelerator(old, "virtual")
