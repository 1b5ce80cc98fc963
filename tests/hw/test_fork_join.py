"""Fork and the two joins (elementwise add, channel concat): models vs NumPy (L2), RTL vs model
under random stalls with independent input streams (L3), cycles vs cost, lint, width rules.

A join's two inputs come from one top input word ``{x1, x0}`` split by a test-only unzip
(tests/hw/sf_test_unzip.v) into two streams with their own valid, each through a FIFO of its own
depth, so the block sees the streams arrive independently; the fork feeds both inputs of an
add (``x * k0 + x * k1``) through FIFOs of different depths.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hw_sweep import random_frames

from streamfold.codegen.verilog import Direction, Instance, Module, Port, Wire, emit
from streamfold.errors import FoldingError, IRError
from streamfold.hw.add import cost as add_cost
from streamfold.hw.add.model import add
from streamfold.hw.add.params import AddParams
from streamfold.hw.add.rtl import SOURCE as ADD_SOURCE
from streamfold.hw.add.rtl import instance as add_instance
from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.concat import cost as concat_cost
from streamfold.hw.concat.model import concat
from streamfold.hw.concat.params import ConcatParams, check_folding
from streamfold.hw.concat.rtl import SOURCE as CONCAT_SOURCE
from streamfold.hw.concat.rtl import instance as concat_instance
from streamfold.hw.fifo.rtl import fifo_instance
from streamfold.hw.fork.rtl import SOURCE as FORK_SOURCE
from streamfold.hw.fork.rtl import fork_instance
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.sim import stream
from streamfold.sim.rtl import build, lint, run

UNZIP = Path(__file__).with_name("sf_test_unzip.v")
u1, u2, u4, i3, i4, i8 = (
    IntType(b, s) for b, s in ((1, 0), (2, 0), (4, 0), (3, 1), (4, 1), (8, 1))
)
SIGNALS = ("_tdata", "_tvalid", "_tready")


def _stream(name: str, width: int) -> list[Wire]:
    return [Wire(f"{name}_tdata", width), Wire(f"{name}_tvalid"), Wire(f"{name}_tready")]


def _conns(port: str, stream_name: str) -> list[tuple[str, str]]:
    return [(f"{port}{s}", f"{stream_name}{s}") for s in SIGNALS]


def join_top(tmp: Path, join: RtlInstance, depths: tuple[int, int]) -> RtlInstance:
    """A top: unzip -> FIFO(depths[i]) -> join input i -> output."""
    f0, f1 = join.streams_in
    ports = (
        Port("clk", Direction.INPUT),
        Port("rst_n", Direction.INPUT),
        Port("s_axis_tdata", Direction.INPUT, f0.width + f1.width),
        Port("s_axis_tvalid", Direction.INPUT),
        Port("s_axis_tready", Direction.OUTPUT),
        Port("m_axis_tdata", Direction.OUTPUT, join.stream_out.width),
        Port("m_axis_tvalid", Direction.OUTPUT),
        Port("m_axis_tready", Direction.INPUT),
    )
    clock = [("clk", "clk"), ("rst_n", "rst_n")]
    wires = _stream("a", f0.width) + _stream("b", f1.width)
    wires += _stream("fa", f0.width) + _stream("fb", f1.width)
    unzip = Instance(
        "sf_test_unzip",
        "u_unzip",
        (("W0", f0.width), ("W1", f1.width)),
        tuple(clock + _conns("s_axis", "s_axis") + _conns("m0_axis", "a") + _conns("m1_axis", "b")),
    )
    fifos = [
        Instance(
            "sf_fifo",
            f"u_fifo{i}",
            fifo_instance(fmt, depth).parameters,
            tuple(clock + _conns("s_axis", src) + _conns("m_axis", dst)),
        )
        for i, (fmt, depth, src, dst) in enumerate(
            ((f0, depths[0], "a", "fa"), (f1, depths[1], "b", "fb"))
        )
    ]
    block = Instance(
        join.module,
        "u_join",
        join.parameters,
        tuple(
            clock + _conns("s0_axis", "fa") + _conns("s1_axis", "fb") + _conns("m_axis", "m_axis")
        ),
    )
    top = Module("sf_test_join_top", ports, tuple(wires), (unzip, *fifos, block))
    path = tmp / "sf_test_join_top.v"
    path.write_text(emit(top))
    fifo_source = fifo_instance(f0, 2).sources[0]
    return RtlInstance(
        "sf_test_join_top",
        (path, UNZIP, fifo_source, *join.sources),
        (),
        (),
        StreamFormat(IntType(f0.width + f1.width, False), 1, f0.words),
        join.stream_out,
    )


def zipped_words(x0: np.ndarray, x1: np.ndarray, f0: StreamFormat, f1: StreamFormat) -> list[int]:
    w0, w1 = stream.pack(x0, f0), stream.pack(x1, f1)
    return [a | (b << f0.width) for a, b in zip(w0, w1, strict=True)]


def simulate_join(tmp, cache, join, x0, x1, depths, stall, seed):
    top = join_top(tmp, join, depths)
    b = build(
        top.module,
        top.sources,
        in_width=top.stream_in.width,
        out_width=top.stream_out.width,
        cache_dir=cache,
    )
    words = zipped_words(x0, x1, *join.streams_in)
    per = join.stream_out.words
    r = run(
        b,
        words,
        out_words=len(x0) * per,
        out_words_per_frame=per,
        stall_in=stall,
        stall_out=stall,
        seed=seed,
    )
    return stream.unpack(r.words_out, join.stream_out, len(x0)), r


ADD_CASES = [  # channels, pixels, in0, in1, k0, k1, simd
    pytest.param(4, 3, u4, u4, 1, 1, 2, id="plain-residual"),
    pytest.param(3, 5, i4, u2, 3, -2, 1, id="aligned-scales-negative-factor"),
    pytest.param(6, 2, BIPOLAR, i3, 1, 4, 3, id="bipolar-and-signed"),
    pytest.param(8, 1, i8, i8, 7, 5, 8, id="vector-fully-parallel"),
]


@pytest.mark.rtl
@pytest.mark.parametrize("c, p, t0, t1, k0, k1, simd", ADD_CASES)
def test_add_rtl_matches_model_under_stalls(tmp_path, rng, rtl_cache, c, p, t0, t1, k0, k1, simd):
    params = AddParams(c, p, t0, t1, k0, k1)
    x0, x1 = (random_frames(rng, t, 12, params.vector) for t in (t0, t1))
    expected = x0.astype(np.int64) * k0 + x1.astype(np.int64) * k1
    np.testing.assert_array_equal(add(params, x0, x1), expected)
    inst = add_instance(params, NodeFolding(simd=simd), "add")
    y, r = simulate_join(tmp_path, rtl_cache, inst, x0, x1, (2, 5), 0.25, 3)
    np.testing.assert_array_equal(y, expected)
    y, r = simulate_join(tmp_path, rtl_cache, inst, x0, x1, (2, 2), 0.0, 0)
    np.testing.assert_array_equal(y, expected)
    folding = NodeFolding(simd=simd)
    assert r.cycles_per_frame == add_cost.cycles(params, folding)


CONCAT_CASES = [  # channels0, channels1, pixels, in0, in1, simd
    pytest.param(4, 4, 3, u4, u4, 2, id="same-type"),
    pytest.param(2, 2, 5, i4, u2, 1, id="signed-and-unsigned-widen"),
    pytest.param(3, 3, 2, BIPOLAR, u1, 3, id="bipolar-and-binary"),
    pytest.param(2, 2, 4, BIPOLAR, BIPOLAR, 2, id="both-bipolar"),
]


@pytest.mark.rtl
@pytest.mark.parametrize("c0, c1, p, t0, t1, simd", CONCAT_CASES)
def test_concat_rtl_matches_model_under_stalls(tmp_path, rng, rtl_cache, c0, c1, p, t0, t1, simd):
    params = ConcatParams(c0, c1, p, t0, t1)
    x0, x1 = random_frames(rng, t0, 12, c0 * p), random_frames(rng, t1, 12, c1 * p)
    expected = np.concatenate([x0.reshape(12, p, c0), x1.reshape(12, p, c1)], axis=2)
    np.testing.assert_array_equal(concat(params, x0, x1), expected.reshape(12, -1))
    inst = concat_instance(params, NodeFolding(simd=simd), "cat")
    y, _ = simulate_join(tmp_path, rtl_cache, inst, x0, x1, (3, 2), 0.25, 5)
    np.testing.assert_array_equal(y, expected.reshape(12, -1))
    y, r = simulate_join(tmp_path, rtl_cache, inst, x0, x1, (4, 4), 0.0, 0)
    np.testing.assert_array_equal(y, expected.reshape(12, -1))
    assert r.cycles_per_frame == concat_cost.cycles(params, NodeFolding(simd=simd))


def test_add_width_rule_holds_every_sum():
    p = AddParams(1, 1, i4, u2, 3, -2)
    t = p.out_dtype
    sums = [a * 3 - b * 2 for a in range(-8, 8) for b in range(4)]
    assert t.min <= min(sums) and max(sums) <= t.max
    assert t.bits - 1 < 2 or not (t.min // 2 <= min(sums) and max(sums) <= t.max // 2)
    assert AddParams(1, 1, u4, u4).out_dtype == IntType(5, False)


def test_concat_output_type_holds_both_inputs():
    assert ConcatParams(1, 1, 1, i4, u2).out_dtype == IntType(4, True)
    assert ConcatParams(1, 1, 1, BIPOLAR, u1).out_dtype == IntType(2, True)
    assert ConcatParams(1, 1, 1, u4, u4).out_dtype == u4


def test_join_errors_name_the_constraint():
    with pytest.raises(
        IRError, match=r"^AddParams: factors must be nonzero, \|k\| <= 1073741824, not 0$"
    ):
        AddParams(1, 1, u4, u4, 0, 1)
    with pytest.raises(FoldingError, match=r"^cat: simd=2 must divide both inputs' channels"):
        check_folding("cat", ConcatParams(4, 3, 1, u4, u4), NodeFolding(simd=2))


@pytest.mark.rtl
def test_fork_feeds_both_inputs_of_an_add(tmp_path, rng, rtl_cache):
    """x -> fork -> FIFO(2) / FIFO(7) -> add(x*3, x*-1): the fork's outputs drain
    independently under stalls, every word reaches both branches once."""
    params = AddParams(2, 6, i4, i4, 3, -1)
    inst = add_instance(params, NodeFolding(simd=2), "add")
    fmt = inst.stream_in
    clock = [("clk", "clk"), ("rst_n", "rst_n")]
    wires = []
    for name in ("a", "b", "fa", "fb"):
        wires += _stream(name, fmt.width)
    fork = fork_instance(fmt)
    instances = [
        Instance(
            "sf_fork",
            "u_fork",
            fork.parameters,
            tuple(
                clock + _conns("s_axis", "s_axis") + _conns("m0_axis", "a") + _conns("m1_axis", "b")
            ),
        ),
        Instance(
            "sf_fifo",
            "u_f0",
            fifo_instance(fmt, 2).parameters,
            tuple(clock + _conns("s_axis", "a") + _conns("m_axis", "fa")),
        ),
        Instance(
            "sf_fifo",
            "u_f1",
            fifo_instance(fmt, 7).parameters,
            tuple(clock + _conns("s_axis", "b") + _conns("m_axis", "fb")),
        ),
        Instance(
            "sf_add",
            "u_add",
            inst.parameters,
            tuple(
                clock
                + _conns("s0_axis", "fa")
                + _conns("s1_axis", "fb")
                + _conns("m_axis", "m_axis")
            ),
        ),
    ]
    ports = (
        Port("clk", Direction.INPUT),
        Port("rst_n", Direction.INPUT),
        Port("s_axis_tdata", Direction.INPUT, fmt.width),
        Port("s_axis_tvalid", Direction.INPUT),
        Port("s_axis_tready", Direction.OUTPUT),
        Port("m_axis_tdata", Direction.OUTPUT, inst.stream_out.width),
        Port("m_axis_tvalid", Direction.OUTPUT),
        Port("m_axis_tready", Direction.INPUT),
    )
    path = tmp_path / "sf_test_fork_top.v"
    path.write_text(emit(Module("sf_test_fork_top", ports, tuple(wires), tuple(instances))))
    b = build(
        "sf_test_fork_top",
        (path, FORK_SOURCE, fifo_instance(fmt, 2).sources[0], ADD_SOURCE),
        in_width=fmt.width,
        out_width=inst.stream_out.width,
        cache_dir=rtl_cache,
    )
    x = random_frames(rng, i4, 20, params.vector)
    per = inst.stream_out.words
    for stall, seed in ((0.3, 1), (0.0, 0)):
        r = run(
            b,
            stream.pack(x, fmt),
            out_words=20 * per,
            out_words_per_frame=per,
            stall_in=stall,
            stall_out=stall,
            seed=seed,
        )
        np.testing.assert_array_equal(stream.unpack(r.words_out, inst.stream_out, 20), 2 * x)
    assert r.cycles_per_frame == fmt.words  # one word per cycle through fork and add


@pytest.mark.rtl
def test_fork_add_concat_pass_lint(rtl_cache):
    lint("sf_fork", [FORK_SOURCE], parameters=(("WIDTH", 12),))
    for c in ADD_CASES:
        c_, p, t0, t1, k0, k1, simd = c.values
        inst = add_instance(AddParams(c_, p, t0, t1, k0, k1), NodeFolding(simd=simd), "a")
        lint("sf_add", [ADD_SOURCE], parameters=inst.parameters)
    for c in CONCAT_CASES:
        c0, c1, p, t0, t1, simd = c.values
        inst = concat_instance(ConcatParams(c0, c1, p, t0, t1), NodeFolding(simd=simd), "c")
        lint("sf_concat", [CONCAT_SOURCE], parameters=inst.parameters)
