"""``streamfold sim``: run a build directory on input frames, with the exact reference and,
optionally, the generated RTL in Verilator, and compare them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.errors import SimulationError, StreamfoldError
from streamfold.ir.graph import Graph
from streamfold.ir.text import parse_graph
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
    inputs: Path | None = None,
    progress: bool = True,
) -> SimResult:
    from streamfold.sim.design import load_manifest

    manifest = load_manifest(build_dir)
    graph = parse_graph((Path(build_dir) / "graph.hw.sfir").read_text())
    x = _inputs(graph, frames, seed, inputs)
    reference = run_single(graph, x)
    predicted = manifest["predicted"]
    measured: dict[str, Any] = {}
    out = None
    if rtl:
        from tqdm import tqdm

        from streamfold.sim.design import simulate_build

        bar = tqdm(total=1, desc=f"verilator: build + {len(x)} frames", disable=not progress)
        out, run = simulate_build(
            Path(build_dir), x.reshape(len(x), -1), stall_in=stall, stall_out=stall, seed=seed
        )
        bar.update()
        bar.close()
        _compare(out, reference.reshape(len(x), -1))
        measured = {
            "measured_interval": run.cycles_per_frame,
            "measured_latency": run.latency,
            "total_cycles": run.total_cycles,
            "cycles_per_second": run.sim_cycles_per_second,
        }
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


def _inputs(graph: Graph, frames: int, seed: int, path: Path | None) -> npt.NDArray[np.int64]:
    if path is None:
        if frames < 1:
            raise StreamfoldError(f"sim: --frames must be >= 1, not {frames}")
        return random_inputs(graph, frames, seed)
    if not path.is_file():
        raise StreamfoldError(f"sim: input file {path} must exist")
    x: npt.NDArray[Any] = np.load(path)
    if not np.issubdtype(x.dtype, np.integer):
        raise StreamfoldError(f"sim: {path} must hold integer input codes, not {x.dtype}")
    codes: npt.NDArray[np.int64] = x.astype(np.int64)
    return codes


def _compare(rtl: npt.NDArray[np.int64], ref: npt.NDArray[np.int64]) -> None:
    diff = np.argwhere(rtl != ref)
    if len(diff):
        f, e = (int(v) for v in diff[0])
        raise SimulationError(
            f"rtl sim: outputs must equal the exact reference, and differ in {len(diff)} of "
            f"{ref.size} values (first at frame {f}, element {e}: "
            f"rtl {rtl[f, e]}, reference {ref[f, e]})"
        )
