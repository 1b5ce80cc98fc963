"""The engine's cycle model (``verilog/sf_mo_engine.sv``): per layer, the compute cycles
overlapped with the weight stream (max of the two per weight tile), plus a set-up that does
not overlap: the descriptor, the parameters and the input map read into on-chip memory, the
first weight tile, and the output map written back, each transfer paying the memory latency
once; per frame, the sum over layers.

Compute: an MVTU layer takes one cycle per fold (``simd`` input channels of one window
position), per output pixel, per ``pe`` output channels; its weights come in tiles of
B = max(simd, pe) output channels, and while tile t computes, tile t + 1 is fetched into the
other weight bank. Pooling and activation layers take one cycle per window position, per
group of ``simd`` channels (each block of B channels whole), per output pixel. The pipeline
(registered RAM reads, products, adder tree, output stage) then drains into the output RAM
before the write-back. Memory moves one 64-bit word per cycle at most, ``bytes_per_cycle``
on average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from streamfold.mo.compiler import HEADER_BYTES, Program
from streamfold.mo.engine import EngineConfig
from streamfold.mo.layer import DESCRIPTOR_BYTES, Kind, Layer

# Cycles of the engine's state machine around each read (start, AR, last beat, next state):
# sf_mo_engine.sv, counted in its waveform and checked by tests/mo (cycles vs the RTL).
READ_CYCLES = 3
TILE_SWITCH_CYCLES = 1  # S_WAITW, between weight tiles
WRITE_CYCLES = 3  # after the last response: S_OUT -> S_BWAIT -> S_NEXT -> the next layer
WRITE_START_CYCLES = 2  # the output RAM's registered read and the write FIFO before beat 1


def drain_cycles(engine: EngineConfig) -> int:
    """S_DRAIN: the pipeline empties after the last fold (DRAIN = 8 + log2 simd, plus the
    flush of a part-filled word and the state change)."""
    return 9 + (engine.simd - 1).bit_length()


@dataclass(frozen=True, slots=True)
class Memory:
    """External memory as the engine sees it: ``bytes_per_cycle`` at the engine clock, and
    ``latency_cycles`` from a read request to its first data."""

    bytes_per_cycle: float
    latency_cycles: int = 0

    @staticmethod
    def of_device(gbytes_per_s: float, clock_mhz: float, latency_cycles: int = 0) -> Memory:
        return Memory(gbytes_per_s * 1e3 / clock_mhz, latency_cycles)

    def transfer(self, nbytes: int) -> int:
        """Cycles to move ``nbytes`` (whole 64-bit words) once the first word may go: the
        first at once (the memory has saved up for it while the engine was busy), then one
        each 8 / bytes_per_cycle cycles."""
        words = -(-nbytes // 8)
        return 1 + math.ceil((words - 1) * 8 / min(self.bytes_per_cycle, 8.0)) if words else 0

    def read(self, nbytes: int) -> int:
        return self.latency_cycles + self.transfer(nbytes) + READ_CYCLES

    def write(self, address: int, nbytes: int) -> int:
        """An output map written back in AXI bursts (one cycle between bursts for the next
        address), until the last burst's response has come back (the latency again)."""
        bursts = len(bursts_of(address // 8, -(-nbytes // 8)))
        return self.transfer(nbytes) + bursts - 1 + self.latency_cycles + 1 + WRITE_CYCLES


def bursts_of(word: int, words: int) -> list[int]:
    """AXI4 INCR bursts (lengths) for ``words`` 64-bit words from word address ``word``: at
    most 256 beats, never across a 4 KiB boundary (as ``sf_mo_engine.sv`` splits them)."""
    lengths = []
    while words > 0:
        n = min(words, 256, 512 - word % 512)
        lengths.append(n)
        word, words = word + n, words - n
    return lengths


@dataclass(frozen=True, slots=True)
class LayerCost:
    name: str
    compute_cycles: int
    bytes_moved: int  # weights streamed while computing
    setup_cycles: int
    cycles: int


def layer_cost(name: str, layer: Layer, engine: EngineConfig, memory: Memory) -> LayerCost:
    params = 8 * layer.p_words
    setup = memory.read(DESCRIPTOR_BYTES) + (memory.read(params) if params else 1)
    setup += memory.read(8 * layer.in_words)
    setup += memory.write(layer.out_addr, 8 * layer.out_words) + WRITE_START_CYCLES
    setup += drain_cycles(engine)
    pixels, b = layer.out_h * layer.out_w, engine.block
    if layer.kind == Kind.MVTU:
        tiles = -(-layer.out_c // b)
        per_tile = pixels * (b // engine.pe) * layer.folds
        fetch = memory.read(layer.w_tile_bytes)
        setup += fetch
        body = per_tile + (tiles - 1) * (max(per_tile, fetch) + TILE_SWITCH_CYCLES)
        compute, moved = tiles * per_tile, (tiles - 1) * layer.w_tile_bytes
    else:
        blocks = -(-layer.in_c // b)
        compute = body = pixels * layer.k_h * layer.k_w * blocks * (b // engine.simd)
        moved = 0
    return LayerCost(name, compute, moved, setup, setup + body)


def program_cost(program: Program, memory: Memory) -> tuple[LayerCost, ...]:
    """Each layer's cost; the first also reads the image's header."""
    costs = [
        layer_cost(name, layer, program.engine, memory)
        for name, layer in zip(program.names, program.layers, strict=True)
    ]
    head = memory.read(HEADER_BYTES) + 1  # + the start cycle
    first = costs[0]
    costs[0] = replace(first, setup_cycles=first.setup_cycles + head, cycles=first.cycles + head)
    return tuple(costs)


def frame_cycles(program: Program, memory: Memory) -> int:
    return sum(c.cycles for c in program_cost(program, memory))
