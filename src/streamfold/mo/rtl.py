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
from streamfold.mo.engine import Array, EngineConfig, storage, type_of
from streamfold.mo.layer import Act, Kind
from streamfold.mo.model import read_output, write_input
from streamfold.sim.verilate import _MAKE_VARS, default_cache_dir, find_verilator

SOURCES = Path(__file__).with_name("verilog")
ENGINE = SOURCES / "sf_mo_engine.sv"
RAM = SOURCES / "sf_mo_ram.v"
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
    return engine_parameters(
        e,
        in_words=max(x.in_words for x in layers),
        out_words=max(x.out_words for x in layers),
        tile_words=max([x.w_tile_bytes // 8 for x in layers if x.kind == Kind.MVTU] + [1]),
        param_rows=max([x.p_rows for x in layers] + [1]),
        output_bits=max(storage(type_of(x.out_type)).bits for x in layers),
        levels=max([x.p_levels for x in layers if x.act == Act.THRESHOLDS] + [1]),
        mulshift=any(x.act == Act.MULSHIFT for x in layers),
    )


def _pow2(n: int) -> int:
    return 1 << (max(n, 1) - 1).bit_length()


def engine_parameters(
    e: EngineConfig,
    *,
    in_words: int,
    out_words: int,
    tile_words: int,
    param_rows: int,
    output_bits: int,
    levels: int,
    mulshift: bool,
) -> dict[str, int]:
    """``sf_mo_engine``'s parameters for ``e`` with memories of the given sizes (64-bit words
    of the input map, the output map and one weight tile; parameter rows), outputs up to
    ``output_bits`` wide, ``levels`` threshold comparators per lane, multiply-shift or not."""
    abits = _pow2(e.activation_bits)
    iw, ww = max(64, e.simd * abits), max(64, e.pe * e.simd * e.weight_container)
    obits = _pow2(output_bits)
    ow = max(64, e.block * obits)
    lanes = min(e.pe, e.simd)  # parameter rows are spread over PE (or SIMD) lanes
    return {
        "SIMD": e.simd,
        "PE": e.pe,
        "ABITS": abits,
        "WBITS": e.weight_container,
        "OBITS": obits,
        "IN_DEPTH": max(2, -(-in_words // (iw // 64))),
        "W_DEPTH": max(2, -(-tile_words // (ww // 64))),
        "OUT_DEPTH": max(2, -(-out_words // (ow // 64))),
        "P_DEPTH": max(2, -(-param_rows // lanes)),
        "LP": e.param_row,
        "MAX_LEVELS": min(levels, e.param_row),
        "MULSHIFT": int(mulshift),
    }


def build_engine(parameters: dict[str, int]) -> Path:
    """The simulation executable for ``parameters`` (built once, then cached)."""
    verilator = find_verilator()
    text = b"".join(p.read_bytes() for p in (ENGINE, RAM, TOP, REGS, HARNESS))
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
        str(ENGINE), str(RAM), str(REGS), str(TOP), str(HARNESS),
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
    write_input(program, memory, np.asarray(sample))
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
    return EngineRun(read_output(program, result), ends, done, polled, run_cycles, runs, layers)
