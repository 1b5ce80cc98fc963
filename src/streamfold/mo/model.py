"""The engine's word-level model: runs a memory image layer by layer from its bytes alone
(the header, the descriptors, the packed weights and parameters), as the RTL does, and
leaves the result in the image. Bit-exact against ``sim.exact`` on the compiled graph."""

from __future__ import annotations

import struct
from collections.abc import Iterable

import numpy as np

from streamfold.ir.dtypes import IntType
from streamfold.mo.compiler import HEADER_BYTES, Program
from streamfold.mo.engine import (
    PARAM,
    Array,
    EngineConfig,
    blocked,
    blocked_size,
    pack,
    storage,
    type_of,
    unblocked,
    unpack,
)
from streamfold.mo.layer import DESCRIPTOR_BYTES, Act, Kind, Layer


def run_image(memory: bytearray, engine: EngineConfig) -> None:
    """Execute every layer described in ``memory`` in place."""
    count = struct.unpack_from("<I", memory, 0)[0]
    b = engine.block
    for i in range(count):
        layer = Layer.read(memory, HEADER_BYTES + i * DESCRIPTOR_BYTES)
        out = _layer(memory, layer, engine)
        t = storage(type_of(layer.out_type))
        fill = -1 if t.bipolar else 0  # code 0, as the engine writes beyond the channels
        data = pack(blocked(out, layer.out_c, b, fill), t)
        memory[layer.out_addr : layer.out_addr + len(data)] = data


def run_program(program: Program, x: Array) -> Array:
    """Outputs for a batch ``x`` (graph input shape, channels first) in the graph's output
    shape: each sample written into a copy of the image, run, and read back."""
    return np.stack([_one(program, sample) for sample in np.asarray(x)])


def _one(program: Program, sample: Array) -> Array:
    memory = bytearray(program.image)
    write_input(program, memory, sample)
    run_image(memory, program.engine)
    return read_output(program, memory)


def _channels_last(x: Array) -> Array:
    return np.moveaxis(x, 0, -1).ravel() if x.ndim > 1 else x


def _pixels(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape[1:], dtype=np.int64)) if len(shape) > 1 else 1


def write_input(program: Program, memory: bytearray, sample: Array) -> None:
    """Write one ``sample`` (graph input shape) at the image's input address, as the engine
    reads it (channel-blocked, at its storage width)."""
    x, t = np.asarray(sample), storage(program.input.dtype)
    values = blocked(_channels_last(x), x.shape[0], program.engine.block, -1 if t.bipolar else 0)
    data = pack(values, t)
    memory[program.input_addr : program.input_addr + len(data)] = data


def read_output(program: Program, memory: bytes | bytearray) -> Array:
    """The graph's output, in its shape, from the image's output address."""
    out = program.output
    channels, pixels = out.shape[0], _pixels(out.shape)
    count = blocked_size(channels, pixels, program.engine.block)
    raw = unpack(memory, program.output_addr, count, storage(out.dtype))
    flat = unblocked(raw, channels, pixels, program.engine.block)
    if len(out.shape) == 1:
        return flat
    return np.moveaxis(flat.reshape(*out.shape[1:], out.shape[0]), -1, 0)


def _input(memory: bytearray, layer: Layer, block: int) -> Array:
    """The input map as [H, W, C]."""
    pixels = layer.in_h * layer.in_w
    count = blocked_size(layer.in_c, pixels, block)
    raw = unpack(memory, layer.in_addr, count, storage(type_of(layer.in_type)))
    return unblocked(raw, layer.in_c, pixels, block).reshape(layer.in_h, layer.in_w, layer.in_c)


def _windows(x: Array, layer: Layer, fill: int) -> Array:
    """[out_h, out_w, k_h, k_w, C]: each output pixel's window, pad positions = ``fill``."""
    rows = (layer.out_h - 1) * layer.s_h + layer.k_h
    cols = (layer.out_w - 1) * layer.s_w + layer.k_w
    padded = np.full((rows, cols, layer.in_c), fill, dtype=np.int64)
    top, left = layer.pad_top, layer.pad_left
    h, w = min(layer.in_h, rows - top), min(layer.in_w, cols - left)
    padded[top : top + h, left : left + w] = x[:h, :w]
    view = np.lib.stride_tricks.sliding_window_view(padded, (layer.k_h, layer.k_w), axis=(0, 1))
    return view[:: layer.s_h, :: layer.s_w].transpose(0, 1, 3, 4, 2)


def _layer(memory: bytearray, layer: Layer, engine: EngineConfig) -> Array:
    x = _input(memory, layer, engine.block)
    match layer.kind:
        case Kind.MVTU:
            acc_values = _mvtu(memory, layer, x, engine)
        case Kind.MAXPOOL:
            pooled: Array = _windows(x, layer, 0).max(axis=(2, 3))
            return pooled.ravel()
        case Kind.SUMPOOL:
            acc_values = _windows(x, layer, 0).sum(axis=(2, 3), dtype=np.int64)
        case _:
            acc_values = x.ravel()
    out: Array = _activate(memory, layer, acc_values.reshape(-1, layer.out_c), engine)
    return out.ravel()


def _mvtu(memory: bytearray, layer: Layer, x: Array, engine: EngineConfig) -> Array:
    """[pixels, out_c] accumulators, weights read tile by tile as the engine streams them."""
    vectors = _windows(x, layer, layer.pad_value).reshape(layer.out_h * layer.out_w, -1)
    b, pe, simd = engine.block, engine.pe, engine.simd
    groups, c = -(-layer.in_c // simd), layer.in_c
    tiles, kh, kw = -(-layer.out_c // b), layer.k_h, layer.k_w
    wt = type_of(layer.w_type)
    rows = []
    for t in range(tiles):
        tile = unpack(
            memory, layer.w_addr + t * layer.w_tile_bytes, b * kh * kw * groups * simd, wt
        )
        # [sub-tile, ky, kx, group, pe, simd] -> [sub-tile, pe, ky, kx, group * simd]
        tile = tile.reshape(b // pe, kh, kw, groups, pe, simd).transpose(0, 4, 1, 2, 3, 5)
        rows.append(tile.reshape(b, kh, kw, groups * simd)[..., :c].reshape(b, -1))
    w = np.concatenate(rows)[: layer.out_c]
    # Exact in float64: the compiler bounds every partial sum below 2**31 (accumulator_bits).
    return (vectors.astype(np.float64) @ w.T.astype(np.float64)).astype(np.int64)


def _activate(memory: bytearray, layer: Layer, a: Array, engine: EngineConfig) -> Array:
    out_t = type_of(layer.out_type)
    if layer.act == Act.NONE:
        return a
    row = engine.param_row
    params = unpack(memory, layer.p_addr, layer.p_rows * row, PARAM).reshape(layer.p_rows, row)
    params = params[:, : layer.p_levels]
    rows = params[np.arange(layer.out_c) % layer.p_rows]  # [out_c, levels]
    if layer.act == Act.THRESHOLDS:
        levels = (a[:, :, None] >= rows[None]).sum(axis=2)
        result: Array = 2 * levels - 1 if out_t.bipolar else out_t.min + levels
        return result
    shifted = [
        [_mulshift(int(v), (int(q) for q in rows[c]), out_t) for c, v in enumerate(pixel)]
        for pixel in a
    ]
    return np.array(shifted, dtype=np.int64).reshape(a.shape)


def _mulshift(v: int, params: Iterable[int], t: IntType) -> int:
    """MulShift on one accumulator: round half to even by shifting (ir.ops.MulShift)."""
    multiplier, bias, shift = params
    y = v * multiplier + bias
    if t.bipolar:
        return 1 if y >= 0 else -1
    if shift > 0:
        y = (y + (1 << (shift - 1)) - 1 + ((y >> shift) & 1)) >> shift
    return min(max(y, t.min), t.max)
