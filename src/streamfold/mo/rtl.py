"""The engine's RTL in Verilator: build ``sf_mo_top`` (the engine behind its AXI-Lite
registers) with its memory-model harness (cached by a hash of the sources and parameters), run
a compiled program on one sample as a host would (image base and start written over AXI-Lite,
STATUS polled until done), and read back the outputs, the cycle at which each layer finished
and the registers read after done."""

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
TOP = SOURCES / "sf_mo_top.v"
REGS = SOURCES.parent.parent / "hw" / "axilite_regs" / "sf_axilite_regs.v"
HARNESS = SOURCES / "sf_mo_harness.cpp"
DEFAULT_BASE = 0x1000_0000  # where the harness puts the image (SRC_ADDR)


@dataclass(frozen=True)
class EngineRun:
    """One frame on the RTL: outputs, the cycle at which each layer finished and the engine's
    ``done`` pin rose (from the cycle it saw start), and what the host read over AXI-Lite: the
    cycle its STATUS poll saw done, RUN_CYCLES, FRAMES_IN (runs) and FRAMES_OUT (layers)."""

    outputs: Array
    layer_ends: tuple[int, ...]
    cycles: int
    polled: int
    run_cycles: int
    runs: int
    layers: int

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
    text = b"".join(p.read_bytes() for p in (ENGINE, TOP, REGS, HARNESS))
    text += repr(sorted(parameters.items())).encode()
    key = hashlib.sha256(text + verilator.version.encode()).hexdigest()[:16]
    out = default_cache_dir() / f"mo-{key}"
    exe = out / "Vsf_mo_top"
    if exe.exists():
        return exe
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="mo-", dir=out.parent))
    cmd = [
        str(verilator.executable), "--cc", "--exe", "--build", "-j", "2", "-O1",
        *(arg for var in _MAKE_VARS for arg in ("-MAKEFLAGS", var)),
        "-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-UNOPTFLAT",
        "--top-module", "sf_mo_top", "-Mdir", str(staging),
        *(f"-G{k}={v}" for k, v in sorted(parameters.items())),
        str(ENGINE), str(REGS), str(TOP), str(HARNESS),
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
    base: int = DEFAULT_BASE,
) -> EngineRun:
    """One input ``sample`` (graph input shape) through the RTL engine, the image at byte
    address ``base`` (4 KiB aligned)."""
    if base % 4096 or base < 0 or base + len(program.image) > 1 << 32:
        raise SimulationError(
            f"MO engine: image base must be 4 KiB aligned with the image "
            f"({len(program.image)} bytes) below 4 GiB, not {base:#x}"
        )
    exe = build_engine(rtl_parameters(program))
    memory = bytearray(program.image)
    data = pack(_channels_last(np.asarray(sample)), storage(program.input.dtype))
    memory[program.input_addr : program.input_addr + len(data)] = data
    with tempfile.TemporaryDirectory() as tmp:
        image, dump = Path(tmp) / "image.bin", Path(tmp) / "out.bin"
        image.write_bytes(bytes(memory))
        args = [str(exe), str(image), str(dump), str(bytes_per_cycle), str(latency_cycles)]
        args += [str(stall), str(seed), str(base)]
        proc = subprocess.run(args, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SimulationError(f"MO engine: exit {proc.returncode}: {proc.stderr[-2000:]}")
        result = dump.read_bytes()
    ends = tuple(
        int(line.split()[2]) for line in proc.stdout.splitlines() if line.startswith("layer")
    )
    done = int(proc.stdout.split("done ")[1].split()[0])
    polled, run_cycles, runs, layers = map(int, proc.stdout.split("status ")[1].split()[:4])
    out = program.output
    flat = unpack(result, program.output_addr, out.size, storage(out.dtype))
    shaped = (
        flat
        if len(out.shape) == 1
        else np.moveaxis(flat.reshape(*out.shape[1:], out.shape[0]), -1, 0)
    )
    return EngineRun(shaped, ends, done, polled, run_cycles, runs, layers)
