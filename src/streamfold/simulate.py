"""``streamfold sim``: run a build directory on input frames, with the exact reference and,
optionally, the generated RTL in Verilator, and compare them."""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold import validate
from streamfold.errors import SimulationError
from streamfold.ir.graph import Graph
from streamfold.ir.text import parse_graph
from streamfold.progress import phase, reporting
from streamfold.sim.exact import run_single


@dataclass(frozen=True)
class SimResult:
    frames: int
    reference: npt.NDArray[np.int64]
    rtl: npt.NDArray[np.int64] | None
    predicted_interval: int
    predicted_latency: int
    measured_interval: float | None
    measured_latency: int | None
    total_cycles: int | None
    cycles_per_second: float | None
    stall: float


def random_inputs(graph: Graph, frames: int, seed: int) -> npt.NDArray[np.int64]:
    """Seeded uniform input codes over the input type (bipolar: -1/+1)."""
    value = graph.inputs[0]
    rng = np.random.default_rng(seed)
    shape = (frames, *value.shape)
    if value.dtype.bipolar:
        return rng.choice(np.array([-1, 1]), size=shape)
    return rng.integers(value.dtype.min, value.dtype.max + 1, size=shape)


def simulate_dir(
    build_dir: Path,
    *,
    frames: int,
    rtl: bool,
    stall: float = 0.0,
    seed: int = 0,
    inputs: Path | npt.NDArray[Any] | None = None,
    progress: bool = True,
) -> SimResult:
    """Run ``build_dir`` on ``frames`` seeded random frames, or on the codes in ``inputs``
    (a .npy file, or an integer array), shaped ``(frames, *input shape)`` or
    ``(frames, elements)`` channels-first; with ``rtl`` also in Verilator under random
    ``stall`` on both sides."""
    from streamfold.sim.design import load_manifest

    validate.real("sim: stall", stall, 0.0, validate.MAX_STALL, lo_open=False)
    if stall and not rtl:
        raise SimulationError(
            f"sim: stall must be 0 without rtl (the exact reference has no streams), not {stall:g}"
        )
    validate.seed("sim: seed", seed)
    if inputs is None:
        validate.integer("sim: frames", frames, 1, validate.MAX_FRAMES)
    elif not isinstance(inputs, np.ndarray):
        validate.input_file("sim: input", inputs)
    manifest = load_manifest(build_dir)
    graph = parse_graph((Path(build_dir) / "graph.hw.sfir").read_text())
    x = _inputs(graph, frames, seed, inputs)
    reference = run_single(graph, x)
    predicted = manifest["predicted"]
    measured: dict[str, Any] = {}
    out = None
    if rtl:
        from streamfold.sim.design import simulate_build

        with (
            nullcontext() if progress else reporting(False),
            phase(f"verilator: simulate {len(x)} frames"),
        ):
            out, run = simulate_build(
                Path(build_dir), x.reshape(len(x), -1), stall_in=stall, stall_out=stall, seed=seed
            )
        _compare(out, reference.reshape(len(x), -1))
        measured = {
            "measured_interval": run.cycles_per_frame,
            "measured_latency": run.latency_offered,
            "total_cycles": run.total_cycles,
            "cycles_per_second": run.sim_cycles_per_second,
        }
        record_rtl_run(Path(build_dir), manifest, run, frames=len(x), stall=stall, seed=seed)
    return SimResult(
        frames=len(x),
        reference=reference,
        rtl=out,
        predicted_interval=int(predicted["cycles_per_frame"]),
        predicted_latency=int(predicted["latency_cycles"]),
        measured_interval=measured.get("measured_interval"),
        measured_latency=measured.get("measured_latency"),
        total_cycles=measured.get("total_cycles"),
        cycles_per_second=measured.get("cycles_per_second"),
        stall=stall,
    )


RTL_RESULT = Path("sim") / "rtl.json"  # in a build directory: the last ``sim --rtl`` run


def record_rtl_run(
    build_dir: Path, manifest: dict[str, Any], run: Any, *, frames: int, stall: float, seed: int
) -> Path:
    """Write what a bit-exact RTL run measured into ``build_dir/sim/rtl.json`` (for reports):
    cycles/frame, latency, the cycles of the first input and output words and the cycle each
    internal stream (``<stage ident>_out``) first moved (cycles since reset); with the hashes of
    the graph and design point it measured."""
    body = {
        "frames": frames,
        "stall": stall,
        "seed": seed,
        "cycles_per_frame": run.cycles_per_frame,
        "latency_cycles": run.latency_offered,
        "total_cycles": run.total_cycles,
        "first_input_cycle": run.in_cycles[0],
        "first_output_cycle": run.out_cycles[0],
        "stream_first_cycle": dict(run.stream_first),
        "inputs": manifest["inputs"],
    }
    path = Path(build_dir) / RTL_RESULT
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(body, indent=2) + "\n")
    return path


def input_frames(graph: Graph, codes: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """Integer input ``codes`` checked against ``graph``'s input (shape ``(frames, *shape)`` or
    ``(frames, elements)``, every code in the input type), shaped ``(frames, *shape)``."""
    return _inputs(graph, len(codes), 0, codes)


def _inputs(
    graph: Graph, frames: int, seed: int, path: Path | npt.NDArray[Any] | None
) -> npt.NDArray[np.int64]:
    if path is None:
        return random_inputs(graph, frames, seed)
    x = path if isinstance(path, np.ndarray) else _load_codes(path)
    if isinstance(path, np.ndarray):
        path = Path("inputs")  # how the messages below name an array
        if not np.issubdtype(x.dtype, np.integer):
            raise SimulationError(f"sim: inputs must be integer input codes, not {x.dtype}")
    value = graph.inputs[0]
    size = int(np.prod(value.shape))
    if x.ndim < 1 or not 1 <= len(x) <= validate.MAX_FRAMES:
        raise SimulationError(
            f"sim: {path} must hold 1..{validate.MAX_FRAMES:,} frames, not shape {list(x.shape)}"
        )
    if tuple(x.shape[1:]) not in (tuple(value.shape), (size,)):
        raise SimulationError(
            f"sim: {path} must hold frames of shape {list(value.shape)} (or [{size}]), "
            f"not {list(x.shape[1:])}"
        )
    _check_range(path, x, value.dtype)
    codes: npt.NDArray[np.int64] = x.astype(np.int64)
    return codes.reshape(len(x), *value.shape)


def _load_codes(path: Path) -> npt.NDArray[Any]:
    if path.suffix.lower() != ".npy":
        raise SimulationError(
            f"sim: input {path} must be a .npy file (numpy.save), not {path.suffix!r}"
        )
    try:
        x = np.load(path, allow_pickle=False)
    except Exception as e:  # NumPy raises many kinds for a damaged file
        reason = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        raise SimulationError(
            f"sim: input {path} must be a .npy file of integer codes, and is not ({reason})"
        ) from None
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.integer):
        kind = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise SimulationError(f"sim: {path} must hold integer input codes, not {kind}")
    return x


def _check_range(path: Path, x: npt.NDArray[Any], dtype: Any) -> None:
    """Every code must lie in the input type: compared as Python integers, so that a uint64
    code above 2**63 is not wrapped to a negative number."""
    if x.size == 0:
        return
    lo, hi = int(x.min()), int(x.max())
    if dtype.bipolar:
        bad = [v for v in (lo, hi) if v not in (-1, 1)] or ([0] if bool(np.any(x == 0)) else [])
        if bad:
            raise SimulationError(f"sim: {path} codes must be -1 or +1 (bipolar), not {bad[0]}")
        return
    if lo < dtype.min or hi > dtype.max:
        got = lo if lo < dtype.min else hi
        raise SimulationError(
            f"sim: {path} codes must lie in {dtype.min}..{dtype.max} ({dtype}), not {got}"
        )


def _compare(rtl: npt.NDArray[np.int64], ref: npt.NDArray[np.int64]) -> None:
    diff = np.argwhere(rtl != ref)
    if len(diff):
        f, e = (int(v) for v in diff[0])
        raise SimulationError(
            f"rtl sim: outputs must equal the exact reference, and differ in {len(diff)} of "
            f"{ref.size} values (first at frame {f}, element {e}: "
            f"rtl {rtl[f, e]}, reference {ref[f, e]})"
        )
