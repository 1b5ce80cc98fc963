"""Building and planning for the MO engine: ``build_mo`` writes a build directory;
``plan_mo`` gives the predicted frame rate of a graph on an engine, device and clock."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from streamfold.cost.devices import Device
from streamfold.errors import ResourceError
from streamfold.ir.graph import Graph
from streamfold.mo.compiler import Program, compile_graph
from streamfold.mo.cost import LayerCost, Memory, program_cost
from streamfold.mo.engine import EngineConfig


@dataclass(frozen=True)
class MoPlan:
    program: Program
    memory: Memory
    layers: tuple[LayerCost, ...]
    clock_mhz: float

    @property
    def frame_cycles(self) -> int:
        return sum(c.cycles for c in self.layers)

    @property
    def fps(self) -> float:
        return self.clock_mhz * 1e6 / self.frame_cycles


def plan_mo(
    graph: Graph, engine: EngineConfig, dev: Device, clock_mhz: float, latency_cycles: int = 0
) -> MoPlan:
    """The kernel graph compiled for ``engine`` with ``dev``'s memory bandwidth at
    ``clock_mhz``; raises ResourceError when the device has no known memory bandwidth."""
    if dev.mem_gbytes_per_s is None:
        raise ResourceError(f"MO: {dev.name} must have external memory, not {dev.mem_source}")
    memory = Memory.of_device(dev.mem_gbytes_per_s, clock_mhz, latency_cycles)
    program = compile_graph(graph, engine)
    return MoPlan(program, memory, program_cost(program, memory), clock_mhz)


def build_mo(graph: Graph, engine: EngineConfig, out_dir: Path, memory: Memory) -> Path:
    """Write ``out_dir``: ``image.bin`` (the memory image), ``image.hex`` (32-bit words for
    ``$readmemh``), and ``schedule.json`` (engine, layers with their descriptors and
    predicted cycles at ``memory``). Deterministic; written last, ``schedule.json`` marks a
    complete build."""
    program = compile_graph(graph, engine)
    out_dir.mkdir(parents=True, exist_ok=True)
    image = program.image.ljust(-(-len(program.image) // 4) * 4, b"\0")
    (out_dir / "image.bin").write_bytes(program.image)
    words = (int.from_bytes(image[i : i + 4], "little") for i in range(0, len(image), 4))
    (out_dir / "image.hex").write_text("".join(f"{w:08x}\n" for w in words))
    costs = program_cost(program, memory)
    schedule = {
        "engine": asdict(engine),
        "memory": asdict(memory),
        "input": {"name": program.input.name, "shape": list(program.input.shape),
                  "dtype": str(program.input.dtype), "address": program.input_addr},
        "output": {"name": program.output.name, "shape": list(program.output.shape),
                   "dtype": str(program.output.dtype), "address": program.output_addr},
        "layers": [{"node": name, "descriptor": asdict(layer), "cost": asdict(cost)}
                   for name, layer, cost in zip(program.names, program.layers, costs, strict=True)],
        "frame_cycles": sum(c.cycles for c in costs),
    }  # fmt: skip
    (out_dir / "schedule.json").write_text(json.dumps(schedule, indent=1, sort_keys=True) + "\n")
    return out_dir


def onchip_bram18(program: Program) -> int:
    """RAMB18s of the RTL engine's memories at ``program``'s sizes (``rtl.rtl_parameters``,
    counted by ``mo.resources``)."""
    from streamfold.mo.resources import engine_resources
    from streamfold.mo.rtl import rtl_parameters

    return engine_resources(rtl_parameters(program)).bram
