"""Cycle-accurate RTL simulation of one AXI-Stream design with Verilator and a C++ harness.

``build`` (from ``sim.verilate``) compiles a top module into a cached executable; ``run`` feeds
it words under seeded random valid/ready stalls and returns the output words and the cycle of
every handshake; ``simulate_instance`` does both for one ``RtlInstance`` on integer frames,
packing them with ``sim.stream``.

The harness holds the design in reset (``rst_n`` low) for a few cycles; cycle 0 is the first
after reset. Each cycle it raises ``s_axis_tvalid`` with probability ``1 - stall_in`` while words
are left (holding it and ``tdata`` until accepted, as AXI-Stream requires) and ``m_axis_tready``
with probability ``1 - stall_out``, from its own PRNG seeded by ``seed``. Uninitialised state
starts random (seeded too), so a design that relies on power-up zeros fails here.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.errors import SimulationError
from streamfold.hw.block import RtlInstance
from streamfold.sim import stream
from streamfold.sim.verilate import (
    RtlBuild,
    Verilator,
    _execute,
    _tool_error,
    build,
    default_cache_dir,
    find_verilator,
    lint,
)

__all__ = [
    "RtlBuild",
    "RtlRun",
    "Verilator",
    "build",
    "default_cache_dir",
    "find_verilator",
    "lint",
    "run",
    "simulate_instance",
]


@dataclass(frozen=True)
class RtlRun:
    """One simulation: output words and handshake cycles (cycle 0 = first after reset)."""

    words_out: tuple[int, ...]
    in_cycles: tuple[int, ...]
    out_cycles: tuple[int, ...]
    total_cycles: int  # last output handshake + 1
    latency: int  # first output handshake - first input handshake
    cycles_per_frame: float  # between last words of first and last frame; 0 for one frame
    sim_cycles_per_second: float
    # first handshake cycle of each internal stream that moved (in internal_streams order)
    stream_first: tuple[tuple[str, int], ...] = ()
    # with ``trace``: every handshake cycle of each internal stream (in internal_streams order)
    stream_cycles: tuple[tuple[str, tuple[int, ...]], ...] = ()
    words_per_frame: int = 1  # output words per frame
    # the cycle the first input word was first offered (tvalid raised); the pipeline's
    # latency counts from here (``latency_offered``): a design that emits padding before it
    # takes input accepts its first word later than it was offered
    first_offer: int = 0

    @property
    def latency_offered(self) -> int:
        """First output handshake - the cycle the first input word was offered: what
        ``cost.estimate``'s pipeline latency predicts (the source offers word i at cycle i)."""
        return self.out_cycles[0] - self.first_offer

    def cycles_per_frame_from(self, first: int) -> float:
        """Mean cycles between consecutive frames' last output words from frame ``first`` on
        (``cycles_per_frame`` is from frame 0): the steady state of a pipeline that settles
        (``cost.estimate.first_steady``). Frame ``first`` must not be the last."""
        ends = self.out_cycles[self.words_per_frame - 1 :: self.words_per_frame]
        if not 0 <= first < len(ends) - 1:
            raise SimulationError(
                f"cycles_per_frame_from: first must be in [0, {len(ends) - 1}), not {first}"
            )
        return (ends[-1] - ends[first]) / (len(ends) - 1 - first)


@dataclass(frozen=True)
class _Trace:
    """What the harness wrote: handshakes, how it ended, internal stream states."""

    in_cycles: list[int]
    out_cycles: list[int]
    words_out: list[int]
    status: str
    cycles: int
    seconds: float
    internal: list[tuple[str, str, int, int]]  # name, last move cycle (or "none"), valid, ready
    first: list[tuple[str, int]]  # name, first handshake cycle
    handshakes: dict[int, list[int]]  # internal stream index -> handshake cycles (traced)
    first_offer: int  # cycle the first input word was first offered (0 when never)


def run(
    b: RtlBuild,
    words_in: Sequence[int],
    *,
    out_words: int,
    out_words_per_frame: int,
    stall_in: float = 0.0,
    stall_out: float = 0.0,
    seed: int = 0,
    max_cycles: int | None = None,
    idle_cycles: int = 10000,
    trace: bool = False,
) -> RtlRun:
    """Simulate ``b`` until ``out_words`` words came out; SimulationError when it stalls.
    ``trace``: record every handshake of the build's internal streams (``stream_cycles``)."""
    _check_run_args(b, words_in, out_words, out_words_per_frame, stall_in, stall_out)
    limit = max_cycles if max_cycles is not None else 1000 + 100 * (len(words_in) + out_words)
    with tempfile.TemporaryDirectory(prefix="streamfold-sim-") as tmp:
        in_hex, out_txt = Path(tmp) / "in.hex", Path(tmp) / "out.txt"
        in_hex.write_text("".join(f"{w:x}\n" for w in words_in))
        cmd = [
            str(b.executable),
            str(in_hex),
            str(out_txt),
            str(seed & ((1 << 64) - 1)),
            repr(float(stall_in)),
            repr(float(stall_out)),
            str(out_words),
            str(limit),
            str(idle_cycles),
        ]
        proc = _execute(cmd, env={"SF_TRACE": "1"} if trace else {}, cwd=b.workdir)
        if proc.returncode != 0 or not out_txt.is_file():
            raise _tool_error(f"rtl sim of {b.top}", cmd, proc)
        parsed = _parse(out_txt.read_text())
    _check_finished(b, parsed, len(words_in), out_words, idle_cycles, limit)
    run = _summarise(parsed, out_words_per_frame)
    if not trace:
        return run
    names = b.internal_streams
    cycles = tuple((names[k], tuple(c)) for k, c in sorted(parsed.handshakes.items()))
    return replace(run, stream_cycles=cycles)


def _check_run_args(
    b: RtlBuild,
    words_in: Sequence[int],
    out_words: int,
    out_words_per_frame: int,
    stall_in: float,
    stall_out: float,
) -> None:
    where = f"rtl sim of {b.top}"
    if out_words < 1 or out_words_per_frame < 1 or out_words % out_words_per_frame:
        raise SimulationError(
            f"{where}: out_words must be a positive multiple of out_words_per_frame="
            f"{out_words_per_frame}, not {out_words}"
        )
    for name, p in (("stall_in", stall_in), ("stall_out", stall_out)):
        if not 0.0 <= p < 1.0:
            raise SimulationError(f"{where}: {name} must be in [0, 1), not {p}")
    for j, w in enumerate(words_in):
        if not 0 <= w < (1 << b.in_width):
            raise SimulationError(
                f"{where}: input word {j} must be an unsigned {b.in_width}-bit int, not {w:#x}"
            )


def _parse(text: str) -> _Trace:
    ins: list[int] = []
    outs: list[int] = []
    words: list[int] = []
    internal: list[tuple[str, str, int, int]] = []
    first: list[tuple[str, int]] = []
    handshakes: dict[int, list[int]] = {}
    end: list[str] = []
    offer = 0
    for line in text.splitlines():
        f = line.split()
        if f[0] == "v":
            offer = int(f[1])
        elif f[0] == "h":
            handshakes.setdefault(int(f[1]), []).append(int(f[2]))
        elif f[0] == "i":
            ins.append(int(f[1]))
        elif f[0] == "o":
            outs.append(int(f[1]))
            words.append(int(f[2], 16))
        elif f[0] == "s":
            internal.append((f[1], f[2], int(f[3]), int(f[4])))
        elif f[0] == "f":
            first.append((f[1], int(f[2])))
        elif f[0] == "end":
            end = f
    if not end:
        raise SimulationError("rtl sim: the harness output must end with an 'end' line")
    return _Trace(
        ins, outs, words, end[1], int(end[2]), float(end[3]), internal, first, handshakes, offer
    )


def _check_finished(
    b: RtlBuild, t: _Trace, in_words: int, out_words: int, idle_cycles: int, limit: int
) -> None:
    where = f"rtl sim of {b.top}"
    progress = (
        f"input: {len(t.in_cycles)} of {in_words} words accepted",
        f"output: {len(t.out_cycles)} of {out_words} words",
    )
    if t.status == "early":
        raise SimulationError(
            f"{where}: the input must be consumed before the last output word, but all "
            f"{out_words} output words came out with {progress[0]}"
        )
    if t.status == "ok":
        return
    if t.status == "max":
        what = f"ran past max_cycles={limit} ({progress[0]}, {progress[1]})"
    else:
        stuck = [f"s_axis ({progress[0]})"] if len(t.in_cycles) < in_words else []
        stuck.append(f"m_axis ({progress[1]})")
        what = (
            f"stalled at cycle {t.cycles}: no handshake on {' or '.join(stuck)} "
            f"for {idle_cycles} cycles"
        )
    raise SimulationError(f"{where}: {what}{_describe_internal(t.internal)}")


def _describe_internal(internal: list[tuple[str, str, int, int]]) -> str:
    if not internal:
        return ""
    parts = []
    for name, last, valid, ready in internal:
        if last == "none":
            parts.append(f"{name} not visible")
        elif valid and not ready:
            parts.append(f"{name} stuck (tvalid=1, tready=0) since cycle {last}")
        else:
            parts.append(f"{name} last moved at cycle {last} (tvalid={valid}, tready={ready})")
    return "; internal streams: " + ", ".join(parts)


def _summarise(t: _Trace, per_frame: int) -> RtlRun:
    frames = len(t.out_cycles) // per_frame
    first_in = t.in_cycles[0] if t.in_cycles else 0
    span = t.out_cycles[-1] - t.out_cycles[per_frame - 1]
    return RtlRun(
        words_out=tuple(t.words_out),
        in_cycles=tuple(t.in_cycles),
        out_cycles=tuple(t.out_cycles),
        total_cycles=t.out_cycles[-1] + 1,
        latency=t.out_cycles[0] - first_in,
        cycles_per_frame=span / (frames - 1) if frames > 1 else 0.0,
        sim_cycles_per_second=t.cycles / max(t.seconds, 1e-9),
        stream_first=tuple(t.first),
        words_per_frame=per_frame,
        first_offer=t.first_offer,
    )


def simulate_instance(
    inst: RtlInstance,
    frames: npt.ArrayLike,
    *,
    stall_in: float = 0.25,
    stall_out: float = 0.25,
    seed: int = 0,
    cache_dir: Path | None = None,
) -> tuple[npt.NDArray[Any], RtlRun]:
    """Build ``inst``, stream ``frames`` (frames, in vector) through it, return its output."""
    x = np.asarray(frames)
    words = stream.pack(x, inst.stream_in)
    b = build(
        inst.module,
        inst.sources,
        in_width=inst.stream_in.width,
        out_width=inst.stream_out.width,
        memories=inst.memories,
        parameters=inst.parameters,
        cache_dir=cache_dir,
    )
    n = x.shape[0]
    per_frame = inst.stream_out.words
    r = run(
        b,
        words,
        out_words=n * per_frame,
        out_words_per_frame=per_frame,
        stall_in=stall_in,
        stall_out=stall_out,
        seed=seed,
    )
    return stream.unpack(r.words_out, inst.stream_out, n), r
