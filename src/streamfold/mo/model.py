"""The engine's word-level model: runs a memory image layer by layer from its bytes alone
(the header, the descriptors, the packed weights and parameters), as the RTL does, and
leaves the result in the image. Bit-exact against ``sim.exact`` on the compiled graph."""

from __future__ import annotations

import struct
from collections.abc import Iterable

import numpy as np

from streamfold.ir.dtypes import IntType
from streamfold.mo.compiler import HEADER_BYTES, Program
from streamfold.mo.engine import PARAM, Array, pack, storage, type_of, unpack
from streamfold.mo.layer import DESCRIPTOR_BYTES, Act, Kind, Layer


def run_image(memory: bytearray, simd: int, pe: int) -> None:
    """Execute every layer described in ``memory`` in place."""
    count = struct.unpack_from("<I", memory, 0)[0]
    for i in range(count):
        layer = Layer.read(memory, HEADER_BYTES + i * DESCRIPTOR_BYTES)
        out = _layer(memory, layer, simd, pe)
        data = pack(out, storage(type_of(layer.out_type)))
        memory[layer.out_addr : layer.out_addr + len(data)] = data


def run_program(program: Program, x: Array) -> Array:
    """Outputs for a batch ``x`` (graph input shape, channels first) in the graph's output
    shape: each sample written into a copy of the image, run, and read back."""
    return np.stack([_one(program, sample) for sample in np.asarray(x)])


def _one(program: Program, sample: Array) -> Array:
    memory = bytearray(program.image)
    data = pack(_channels_last(sample), storage(program.input.dtype))
    memory[program.input_addr : program.input_addr + len(data)] = data
    e = program.engine
    run_image(memory, e.simd, e.pe)
    out = program.output
    flat = unpack(memory, program.output_addr, out.size, storage(out.dtype))
    if len(out.shape) == 1:
        return flat
    return np.moveaxis(flat.reshape(*out.shape[1:], out.shape[0]), -1, 0)


def _channels_last(x: Array) -> Array:
    return np.moveaxis(x, 0, -1).ravel() if x.ndim > 1 else x


def _input(memory: bytearray, layer: Layer) -> Array:
    """The input map as [H, W, C]."""
    count = layer.in_c * layer.in_h * layer.in_w
    flat = unpack(memory, layer.in_addr, count, storage(type_of(layer.in_type)))
    return flat.reshape(layer.in_h, layer.in_w, layer.in_c)


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


def _layer(memory: bytearray, layer: Layer, simd: int, pe: int) -> Array:
    x = _input(memory, layer)
    match layer.kind:
        case Kind.MVTU:
            acc_values = _mvtu(memory, layer, x, simd, pe)
        case Kind.MAXPOOL:
            pooled: Array = _windows(x, layer, 0).max(axis=(2, 3))
            return pooled.ravel()
        case Kind.SUMPOOL:
            acc_values = _windows(x, layer, 0).sum(axis=(2, 3), dtype=np.int64)
        case _:
            acc_values = x.ravel()
    out: Array = _activate(memory, layer, acc_values.reshape(-1, layer.out_c))
    return out.ravel()


def _mvtu(memory: bytearray, layer: Layer, x: Array, simd: int, pe: int) -> Array:
    """[pixels, out_c] accumulators, weights read tile by tile as the engine streams them."""
    vectors = _windows(x, layer, layer.pad_value).reshape(layer.out_h * layer.out_w, -1)
    window = layer.window
    folds, tiles = -(-window // simd), -(-layer.out_c // pe)
    wt = storage(type_of(layer.w_type))
    rows = []
    for t in range(tiles):
        tile = unpack(memory, layer.w_addr + t * layer.w_tile_bytes, folds * pe * simd, wt)
        rows.append(tile.reshape(folds, pe, simd).transpose(1, 0, 2).reshape(pe, -1)[:, :window])
    w = np.concatenate(rows)[: layer.out_c]
    # Exact in float64: the compiler bounds every partial sum below 2**31 (accumulator_bits).
    return (vectors.astype(np.float64) @ w.T.astype(np.float64)).astype(np.int64)


def _activate(memory: bytearray, layer: Layer, a: Array) -> Array:
    out_t = type_of(layer.out_type)
    if layer.act == Act.NONE:
        return a
    params = unpack(memory, layer.p_addr, layer.p_rows * layer.p_levels, PARAM)
    params = params.reshape(layer.p_rows, layer.p_levels)
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
