"""Simulate a build directory written by ``codegen.top.write_build`` in Verilator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold import validate
from streamfold.codegen.build_dir import read_manifest
from streamfold.hw.block import StreamFormat
from streamfold.ir.dtypes import IntType
from streamfold.sim.rtl import RtlRun, build, run
from streamfold.sim.stream import from_stream_order, pack, to_stream_order, unpack


def load_manifest(build_dir: Path) -> dict[str, Any]:
    """The verified manifest: every file it lists present and unmodified (else BuildDirError)."""
    return read_manifest(build_dir)


def stream_format(raw: dict[str, Any]) -> StreamFormat:
    return StreamFormat(IntType.parse(raw["dtype"]), int(raw["elems"]), int(raw["vector"]))


def simulate_build(
    build_dir: Path,
    frames: npt.NDArray[Any],
    *,
    stall_in: float = 0.0,
    stall_out: float = 0.0,
    seed: int = 0,
    cache_dir: Path | None = None,
    trace: bool = False,
) -> tuple[npt.NDArray[np.int64], RtlRun]:
    """Outputs of the generated RTL for input codes ``frames``, and the run (with ``trace``,
    every handshake of every internal stream: ``RtlRun.stream_cycles``).

    ``frames`` hold graph input values, ``(frames, *shape)`` or flattened channels-first; the
    outputs come back flattened channels-first, ``(frames, elements)``: the layout of the
    reference executor. Streams carry feature maps channels-last (``sim.stream``)."""
    for name, p in (("stall_in", stall_in), ("stall_out", stall_out)):
        validate.real(f"simulate_build: {name}", p, 0.0, validate.MAX_STALL, lo_open=False)
    validate.seed("simulate_build: seed", seed)
    build_dir = Path(build_dir)
    manifest = load_manifest(build_dir)
    fmt_in, fmt_out = stream_format(manifest["stream_in"]), stream_format(manifest["stream_out"])
    memories = [(Path(m).name, (build_dir / m).read_text()) for m in manifest["memories"]]
    compiled = build(
        manifest["top"],
        [build_dir / s for s in manifest["sources"]],
        in_width=fmt_in.width,
        out_width=fmt_out.width,
        memories=memories,
        cache_dir=cache_dir,
        internal_streams=tuple(manifest.get("internal_streams", ())),
    )
    n = len(frames)
    shape_in = tuple(manifest.get("input_shape", (fmt_in.vector,)))
    shape_out = tuple(manifest.get("output_shape", (fmt_out.vector,)))
    # A folded pipeline may legitimately move nothing on its top-level streams for a whole
    # interval (a matrix-vector unit replaying its input): size the stall detector from the
    # cycle model, stretched for random stalls.
    predicted = manifest["predicted"]
    interval, latency = int(predicted["cycles_per_frame"]), int(predicted["latency_cycles"])
    stretch = 1.0 / (1.0 - max(stall_in, stall_out)) ** 2
    result = run(
        compiled,
        pack(to_stream_order(frames, shape_in), fmt_in),
        out_words=n * fmt_out.words,
        out_words_per_frame=fmt_out.words,
        stall_in=stall_in,
        stall_out=stall_out,
        seed=seed,
        idle_cycles=int(2 * (interval + latency) * stretch) + 10_000,
        max_cycles=int((latency + (n + 1) * interval) * 2 * stretch) + 100_000,
        trace=trace,
    )
    return from_stream_order(unpack(result.words_out, fmt_out, n), shape_out), result
