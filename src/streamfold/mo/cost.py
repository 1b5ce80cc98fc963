"""The engine's cycle model: per layer, max(compute cycles, bytes moved / bandwidth) plus a
set-up that cannot overlap (descriptor fetch, memory latency, the first weight tile and the
parameters, which must be on chip before the first output); per frame, the sum.

Compute: an MVTU layer takes one cycle per fold of ``simd`` window elements, per output pixel,
per tile of ``pe`` output channels, with the next tile's weights prefetched while the current
one computes and windows formed by the line buffer (the input map is read once per tile).
Pooling and activation layers consume ``simd`` channels of one input pixel per cycle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from streamfold.mo.compiler import Program
from streamfold.mo.engine import EngineConfig, packed_bytes, type_of
from streamfold.mo.layer import DESCRIPTOR_BYTES, Kind, Layer

PIPELINE_CYCLES = 8  # accumulate-to-write latency of the datapath, once per layer


@dataclass(frozen=True, slots=True)
class Memory:
    """External memory as the engine sees it: ``bytes_per_cycle`` at the engine clock, and
    ``latency_cycles`` from a read request to its first data."""

    bytes_per_cycle: float
    latency_cycles: int = 0

    @staticmethod
    def of_device(gbytes_per_s: float, clock_mhz: float, latency_cycles: int = 0) -> Memory:
        return Memory(gbytes_per_s * 1e3 / clock_mhz, latency_cycles)


@dataclass(frozen=True, slots=True)
class LayerCost:
    name: str
    compute_cycles: int
    bytes_moved: int  # overlapped with compute
    setup_cycles: int
    cycles: int


def _bytes(layer: Layer, count: int, code: int) -> int:
    return packed_bytes(count, type_of(code).bits)


def layer_cost(name: str, layer: Layer, engine: EngineConfig, memory: Memory) -> LayerCost:
    in_bytes = _bytes(layer, layer.in_c * layer.in_h * layer.in_w, layer.in_type)
    out_bytes = _bytes(layer, layer.out_c * layer.out_h * layer.out_w, layer.out_type)
    params = packed_bytes(layer.p_rows * layer.p_levels, engine.accumulator_bits)
    pixels = layer.out_h * layer.out_w
    if layer.kind == Kind.MVTU:
        tiles = -(-layer.out_c // engine.pe)
        compute = tiles * pixels * -(-layer.window // engine.simd)
        moved = (tiles - 1) * layer.w_tile_bytes + tiles * in_bytes + out_bytes
        first = layer.w_tile_bytes
    else:
        compute = layer.in_h * layer.in_w * -(-layer.in_c // engine.simd)
        moved, first = in_bytes + out_bytes, 0
    bw = memory.bytes_per_cycle
    setup = math.ceil((DESCRIPTOR_BYTES + first + params) / bw) + 2 * memory.latency_cycles
    setup += PIPELINE_CYCLES
    cycles = max(compute, math.ceil(moved / bw)) + setup
    return LayerCost(name, compute, moved, setup, cycles)


def program_cost(program: Program, memory: Memory) -> tuple[LayerCost, ...]:
    return tuple(
        layer_cost(name, layer, program.engine, memory)
        for name, layer in zip(program.names, program.layers, strict=True)
    )


def frame_cycles(program: Program, memory: Memory) -> int:
    return sum(c.cycles for c in program_cost(program, memory))
