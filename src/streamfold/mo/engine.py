"""The MO engine's parameters and how integers are laid out in its memory.

Memory is byte-addressed and little-endian. A tensor of an n-bit type is stored at
``storage(t)``: the next power of two of bits (1, 2, 4, 8, 16, 32), so no element straddles a
memory word; n elements occupy ceil(n * b / 8) bytes, element i at bits [i * b, (i + 1) * b)
(bit 0 of byte 0 first); signed values are two's complement (sign-extended to b bits),
bipolar values are 0 for -1 and 1 for +1. Thresholds, multipliers, biases and shifts are
32-bit (``PARAM``).
Activations are channels-last (``sim.stream`` order): element (y, x, c) is number
(y * W + x) * C + c.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.errors import FoldingError
from streamfold.ir.dtypes import IntType

Array = npt.NDArray[Any]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """One MO engine: ``simd`` x ``pe`` multiply-accumulates per cycle (``pe`` output channels,
    ``simd`` input channels of one window position for each), and the largest layer it
    accepts. ``simd`` and ``pe`` are powers of two; activation maps are stored in blocks of
    ``block`` = max(simd, pe) channels (``blocked``). A layer's input and output maps are held
    on chip (up to ``max_map``**2 x ``max_channels`` activations each); its weights stream from
    memory one tile of ``block`` output channels at a time into a double-buffered weight
    memory, the next tile fetched while the current one computes (``verilog/sf_mo_engine.sv``).
    Weights are stored at ``weight_container`` bits whatever the layer's type, thresholds and
    multiply-shift parameters as rows of ``param_row`` 32-bit words per channel
    (``max_levels`` thresholds at most).

    ``accumulator_bits`` is the width of the accumulators (each threshold, multiplier and
    bias must fit it too; they are stored as 32-bit words). ``memory_bytes`` is the external
    memory the schedule must fit; ``bus_bytes`` the memory word, to which every buffer is
    aligned.
    """

    simd: int = 32
    pe: int = 16
    max_channels: int = 512
    max_kernel: int = 3
    max_map: int = 256
    weight_bits: int = 8
    activation_bits: int = 8
    accumulator_bits: int = 32
    thresholds: bool = True
    mulshift: bool = True
    max_levels: int = 15
    memory_bytes: int = 1 << 28
    bus_bytes: int = 8

    def __post_init__(self) -> None:
        for name in ("simd", "pe", "max_channels", "max_kernel", "max_map", "bus_bytes"):
            value = getattr(self, name)
            if value < 1:
                raise FoldingError(f"EngineConfig.{name} must be >= 1, not {value}")
        for name in ("simd", "pe"):
            value = getattr(self, name)
            if value & (value - 1):
                raise FoldingError(f"EngineConfig.{name} must be a power of two, not {value}")
        if self.max_levels < 1:
            raise FoldingError(f"EngineConfig.max_levels must be >= 1, not {self.max_levels}")
        for name, top in (("weight_bits", 8), ("activation_bits", 16), ("accumulator_bits", 32)):
            value = getattr(self, name)
            if not 1 <= value <= top:
                raise FoldingError(f"EngineConfig.{name} must be 1..{top}, not {value}")

    @property
    def block(self) -> int:
        """Channels per block of an activation map, and output channels per weight tile."""
        return max(self.simd, self.pe)

    @property
    def weight_container(self) -> int:
        """Bits every weight is stored at: ``weight_bits`` rounded up to a power of two."""
        return 1 << (self.weight_bits - 1).bit_length()

    @property
    def param_row(self) -> int:
        """32-bit words per channel of thresholds or multiply-shift parameters: a power of two
        >= 2 holding ``max_levels`` thresholds (when built) and 3 multiply-shift words."""
        most = max(self.max_levels if self.thresholds else 1, 3 if self.mulshift else 1, 2)
        return 1 << (most - 1).bit_length()


def blocked_index(channels: int, pixels: int, block: int) -> Array:
    """For each element of a channels-last map (pixel-major, ``channels`` per pixel), its
    place in the engine's channel-blocked order: blocks of ``block`` channels (the last padded),
    each block pixel-major."""
    p, c = np.divmod(np.arange(channels * pixels), channels)
    index: Array = (c // block) * pixels * block + p * block + c % block
    return index


def blocked_size(channels: int, pixels: int, block: int) -> int:
    return -(-channels // block) * block * pixels


def blocked(values: Array, channels: int, block: int, fill: int = 0) -> Array:
    """A channels-last map (flat) in the engine's channel-blocked order, padding = ``fill``."""
    v = np.asarray(values).ravel()
    pixels = v.size // channels
    out = np.full(blocked_size(channels, pixels, block), fill, dtype=np.int64)
    out[blocked_index(channels, pixels, block)] = v
    return out


def unblocked(values: Array, channels: int, pixels: int, block: int) -> Array:
    """The inverse of ``blocked``: the channels-last map (flat)."""
    result: Array = np.asarray(values)[blocked_index(channels, pixels, block)]
    return result


PARAM = IntType(32, True)


def storage(t: IntType) -> IntType:
    """The type's container in memory: ``t.bits`` rounded up to a power of two."""
    if t.bipolar:
        return t
    return IntType(1 << (t.bits - 1).bit_length(), t.signed)


def type_code(t: IntType) -> int:
    """An IntType as one descriptor field: bits | signed << 8 | narrow << 9 | bipolar << 10."""
    return t.bits | t.signed << 8 | t.narrow << 9 | t.bipolar << 10


def type_of(code: int) -> IntType:
    return IntType(code & 0xFF, bool(code >> 8 & 1), bool(code >> 9 & 1), bool(code >> 10 & 1))


def encode(values: Array, t: IntType) -> Array:
    """Integers of type ``t`` -> their unsigned codes of ``t.bits`` bits."""
    v = np.asarray(values, dtype=np.int64)
    if t.bipolar:
        return (v + 1) // 2
    return v & ((1 << t.bits) - 1)


def decode(codes: Array, t: IntType) -> Array:
    c = np.asarray(codes, dtype=np.int64)
    if t.bipolar:
        return 2 * c - 1
    if t.signed:
        return c - ((c >> (t.bits - 1)) << t.bits)
    return c


def pack(values: Array, t: IntType) -> bytes:
    """``values`` (flat, in order) packed at ``t.bits`` bits each (see the module docstring)."""
    codes = encode(np.asarray(values).ravel(), t).astype(np.uint64)
    bits = (codes[:, None] >> np.arange(t.bits, dtype=np.uint64)) & np.uint64(1)
    return np.packbits(bits.astype(np.uint8).ravel(), bitorder="little").tobytes()


def unpack(memory: bytes | bytearray, address: int, count: int, t: IntType) -> Array:
    """``count`` values of type ``t`` packed from byte ``address`` on."""
    nbytes = packed_bytes(count, t.bits)
    raw = np.frombuffer(bytes(memory[address : address + nbytes]), dtype=np.uint8)
    bits = np.unpackbits(raw, bitorder="little")[: count * t.bits].reshape(count, t.bits)
    codes = (bits.astype(np.int64) << np.arange(t.bits, dtype=np.int64)).sum(axis=1)
    return decode(codes, t)


def packed_bytes(count: int, bits: int) -> int:
    return -(-count * bits // 8)


def align(n: int, to: int) -> int:
    return -(-n // to) * to
