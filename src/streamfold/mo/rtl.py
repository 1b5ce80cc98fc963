"""The engine's RTL in Verilator: build ``sf_mo_engine`` with its memory-model harness (cached
by a hash of the sources and parameters), run a compiled program on a batch, and read back
the outputs and the cycle at which each layer finished."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from streamfold.errors import FoldingError, SimulationError, ToolError
from streamfold.mo.compiler import Program
from streamfold.mo.engine import Array, pack, storage, type_of, unpack
from streamfold.mo.layer import Kind
from streamfold.mo.model import _channels_last
from streamfold.sim.verilate import _MAKE_VARS, default_cache_dir, find_verilator

SOURCES = Path(__file__).with_name("verilog")
ENGINE = SOURCES / "sf_mo_engine.v"
HARNESS = SOURCES / "sf_mo_harness.cpp"


@dataclass(frozen=True)
class EngineRun:
    """One frame on the RTL: outputs and the cycle at which each layer finished."""

    outputs: Array
    layer_ends: tuple[int, ...]
    cycles: int

    @property
    def layer_cycles(self) -> tuple[int, ...]:
        starts = (0, *self.layer_ends[:-1])
        return tuple(end - start for start, end in zip(starts, self.layer_ends, strict=True))


def rtl_parameters(program: Program) -> dict[str, int]:
    """Verilog parameters large enough for every layer of ``program``."""
    e, layers = program.engine, program.layers
    if e.bus_bytes != 8:
        raise FoldingError(f"MO RTL: bus_bytes must be 8, not {e.bus_bytes}")

    def words(count: int, code: int) -> int:
        return -(-count * storage(type_of(code)).bits // 64)

    return {
        "SIMD": e.simd,
        "PE": e.pe,
        "IN_WORDS": max(words(x.in_c * x.in_h * x.in_w, x.in_type) for x in layers),
        "OUT_WORDS": max(words(x.out_c * x.out_h * x.out_w, x.out_type) for x in layers),
        "W_WORDS": max([x.w_tile_bytes // 8 for x in layers if x.kind == Kind.MVTU] + [1]),
        "P_ENTRIES": max([x.p_rows * x.p_levels + 1 for x in layers] + [2]),
        "MAX_LEVELS": max([x.p_levels for x in layers] + [1]),
    }


def build_engine(parameters: dict[str, int]) -> Path:
    """The simulation executable for ``parameters`` (built once, then cached)."""
    verilator = find_verilator()
    text = ENGINE.read_bytes() + HARNESS.read_bytes() + repr(sorted(parameters.items())).encode()
    key = hashlib.sha256(text + verilator.version.encode()).hexdigest()[:16]
    out = default_cache_dir() / f"mo-{key}"
    exe = out / "Vsf_mo_engine"
    if exe.exists():
        return exe
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="mo-", dir=out.parent))
    cmd = [
        str(verilator.executable), "--cc", "--exe", "--build", "-j", "2", "-O1",
        *(arg for var in _MAKE_VARS for arg in ("-MAKEFLAGS", var)),
        "-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-UNOPTFLAT",
        "--top-module", "sf_mo_engine", "-Mdir", str(staging),
        *(f"-G{k}={v}" for k, v in sorted(parameters.items())),
        str(ENGINE), str(HARNESS),
    ]  # fmt: skip
    proc = subprocess.run(cmd, env={**os.environ, **verilator.env}, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise ToolError(f"verilator: exit {proc.returncode} building the MO engine:\n{tail}")
    staging.rename(out) if not out.exists() else None
    return exe


def run_engine(
    program: Program,
    sample: Array,
    bytes_per_cycle: float,
    latency_cycles: int = 0,
    *,
    stall: float = 0.0,
    seed: int = 0,
) -> EngineRun:
    """One input ``sample`` (graph input shape) through the RTL engine."""
    exe = build_engine(rtl_parameters(program))
    memory = bytearray(program.image)
    data = pack(_channels_last(np.asarray(sample)), storage(program.input.dtype))
    memory[program.input_addr : program.input_addr + len(data)] = data
    with tempfile.TemporaryDirectory() as tmp:
        image, dump = Path(tmp) / "image.bin", Path(tmp) / "out.bin"
        image.write_bytes(bytes(memory))
        args = [str(exe), str(image), str(dump), str(bytes_per_cycle), str(latency_cycles)]
        proc = subprocess.run([*args, str(stall), str(seed)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SimulationError(f"MO engine: exit {proc.returncode}: {proc.stderr[-2000:]}")
        result = dump.read_bytes()
    ends = tuple(
        int(line.split()[2]) for line in proc.stdout.splitlines() if line.startswith("layer")
    )
    done = int(proc.stdout.split("done ")[1].split()[0])
    out = program.output
    flat = unpack(result, program.output_addr, out.size, storage(out.dtype))
    shaped = (
        flat
        if len(out.shape) == 1
        else np.moveaxis(flat.reshape(*out.shape[1:], out.shape[0]), -1, 0)
    )
    return EngineRun(shaped, ends, done)
