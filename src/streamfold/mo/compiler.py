"""A kernel graph (``flow.to_kernels``) -> the engine's layer schedule and memory image.

The image holds, in this order from address 0: a header (layer count, input and output
addresses), one descriptor per layer (``layer.Layer``), each layer's weight tiles and
parameters, then two activation buffers that the layers use in turn (layer i reads the
buffer layer i - 1 wrote). Everything is aligned to the engine's ``bus_bytes``; the same
graph and engine always give the same bytes. Activation maps are channel-blocked
(``engine.blocked``: blocks of B = max(simd, pe) channels, each pixel-major).

Weight tile t of a layer holds output channels t * B .. t * B + B - 1, as the engine
consumes them: for each sub-tile u of ``pe`` channels, for each fold (window row ky, column
kx, group g of ``simd`` input channels), for each PE p, the ``simd`` weights
``W[t * B + u * pe + p, (ky, kx, g * simd + s)]`` (any value beyond the matrix: the engine
zeroes input lanes beyond the channels and drops outputs beyond them), each at the engine's
``weight_container`` bits. Parameters are one row of ``param_row`` 32-bit words per output
channel (thresholds, or multiplier, bias and shift), zero-padded.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from streamfold.errors import FoldingError, ResourceError
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node, Value
from streamfold.ir.ops import (
    GlobalSumPool,
    MaxPool,
    MulShift,
    MultiThreshold,
    Mvau,
    Pad,
    SlidingWindow,
    Thresholding,
)
from streamfold.mo.engine import (
    PARAM,
    Array,
    EngineConfig,
    align,
    blocked_size,
    pack,
    packed_bytes,
    storage,
    type_code,
    type_of,
)
from streamfold.mo.layer import DESCRIPTOR_BYTES, Act, Kind, Layer

HEADER_BYTES = 16  # u32 layer count, input address, output address, 0


@dataclass(frozen=True)
class Program:
    """A compiled network: descriptors, the memory image and where its input and output are."""

    engine: EngineConfig
    layers: tuple[Layer, ...]
    names: tuple[str, ...]  # the graph node each layer computes (its last node)
    image: bytes
    input: Value
    output: Value
    input_addr: int
    output_addr: int

    @property
    def memory_bytes(self) -> int:
        return len(self.image)


@dataclass(frozen=True)
class _Planned:
    """A layer before addresses: its descriptor fields, weights and parameters."""

    name: str
    layer: Layer
    weights: bytes  # all tiles, each padded to layer.w_tile_bytes
    params: bytes
    in_value: Value
    out_value: Value


def compile_graph(graph: Graph, engine: EngineConfig) -> Program:
    """Schedule ``graph`` (a chain of kernels) on ``engine``; raises FoldingError naming a
    layer the engine cannot run and ResourceError when the image exceeds its memory."""
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise FoldingError("MO: the graph must have one input and one output")
    planned = [_plan(group, graph, engine) for group in _groups(graph)]
    return _place(planned, graph, engine)


def _groups(graph: Graph) -> list[list[Node]]:
    """The nodes split into engine layers: [Pad] [SlidingWindow] Mvau, or one other kernel."""
    groups: list[list[Node]] = []
    current: list[Node] = []
    last = graph.inputs[0].name
    for node in graph.nodes:
        if node.inputs != (last,) or (
            len(graph.consumers(last)) != 1 and last != graph.inputs[0].name
        ):
            raise FoldingError(
                f"MO: node {node.name!r} must read only the previous layer's output "
                "(the engine runs chains)"
            )
        current.append(node)
        last = node.output.name
        if not isinstance(node.op, Pad | SlidingWindow):
            groups.append(current)
            current = []
    if current:
        raise FoldingError(
            f"MO: node {current[-1].name!r} must be followed by a matrix-vector unit"
        )
    return groups


def _map(v: Value) -> tuple[int, int, int]:
    """(C, H, W) of a value; 1-D maps have H = 1, vectors are 1 x 1."""
    if len(v.shape) == 1:
        return v.shape[0], 1, 1
    if len(v.shape) == 2:
        return v.shape[0], 1, v.shape[1]
    if len(v.shape) == 3:
        return v.shape
    raise FoldingError(
        f"MO: value {v.name!r} must have 1 or 2 spatial axes, not {len(v.shape) - 1}"
    )


def _hw(pair: tuple[int, ...]) -> tuple[int, int]:
    return (1, pair[0]) if len(pair) == 1 else (pair[0], pair[1])


def _plan(group: list[Node], graph: Graph, engine: EngineConfig) -> _Planned:
    node = group[-1]
    in_value = graph.value(group[0].inputs[0])
    match node.op:
        case Mvau():
            return _plan_mvtu(group, in_value, engine)
        case MaxPool():
            (kh, kw), (sh, sw) = _hw(node.op.kernel_size), _hw(node.op.stride)
            return _simple(node, in_value, engine, Kind.MAXPOOL, (kh, kw, sh, sw))
        case GlobalSumPool():
            _, h, w = _map(in_value)  # the whole map is the one window
            return _simple(node, in_value, engine, Kind.SUMPOOL, (h, w, 1, 1))
        case Thresholding() | MulShift():
            return _simple(node, in_value, engine, Kind.ACT, (1, 1, 1, 1))
    raise FoldingError(
        f"MO: node {node.name!r} ({type(node.op).__name__}) must be one the engine runs: "
        "convolution or fully connected Mvau, MaxPool, GlobalSumPool, Thresholding, MulShift"
    )


def _base(node: Node, in_value: Value, out_value: Value, engine: EngineConfig) -> dict[str, Any]:
    (in_c, in_h, in_w), (out_c, out_h, out_w) = _map(in_value), _map(out_value)
    _check_type(node, "input", in_value.dtype, engine.activation_bits)
    _check_type(node, "output", out_value.dtype, engine.accumulator_bits)
    _check_max(node, "map size", max(in_h, in_w), engine.max_map)
    return dict(
        in_addr=0, out_addr=0, w_addr=0, w_tile_bytes=0, p_addr=0,
        in_c=in_c, in_h=in_h, in_w=in_w, out_c=out_c, out_h=out_h, out_w=out_w,
        pad_top=0, pad_left=0, pad_value=0, in_type=type_code(in_value.dtype),
        w_type=0, out_type=type_code(out_value.dtype),
    )  # fmt: skip


def _derived(layer: Layer, engine: EngineConfig) -> Layer:
    """The descriptor's derived words (layer.Layer) for ``engine``."""
    b = engine.block

    def words(c: int, pixels: int, code: int) -> int:
        return -(-blocked_size(c, pixels, b) * storage(type_of(code)).bits // 64)

    return replace(
        layer,
        in_words=words(layer.in_c, layer.in_h * layer.in_w, layer.in_type),
        out_words=words(layer.out_c, layer.out_h * layer.out_w, layer.out_type),
        p_words=layer.p_rows * engine.param_row // 2,
        folds=layer.k_h * layer.k_w * -(-layer.in_c // engine.simd),
        blk_rows=layer.in_h * layer.in_w * b // engine.simd,
        pix0=-layer.pad_top * layer.in_w - layer.pad_left,
        row_step=layer.s_h * layer.in_w,
    )


_NO_DERIVED = dict(in_words=0, out_words=0, p_words=0, folds=0, blk_rows=0, pix0=0, row_step=0)


def _simple(
    node: Node, in_value: Value, engine: EngineConfig, kind: Kind, ks: tuple[int, int, int, int]
) -> _Planned:
    base = _base(node, in_value, node.output, engine)
    _check_max(node, "channels", base["in_c"], engine.max_channels)
    if kind is not Kind.SUMPOOL:
        _check_max(
            node, "kernel size", max(ks[:2]), engine.max_kernel if kind is Kind.MAXPOOL else 1
        )
    bound = max(abs(in_value.dtype.min), abs(in_value.dtype.max))
    act, rows, levels, params = _params(node, node.op, bound, engine, base["out_c"])
    if kind is Kind.SUMPOOL:
        bound *= base["in_h"] * base["in_w"]
        _check_acc(node, bound, engine)
    layer = Layer(kind=kind, k_h=ks[0], k_w=ks[1], s_h=ks[2], s_w=ks[3], act=act,
                  p_rows=rows, p_levels=levels, **base, **_NO_DERIVED)  # fmt: skip
    return _Planned(node.name, _derived(layer, engine), b"", params, in_value, node.output)


def _plan_mvtu(group: list[Node], in_value: Value, engine: EngineConfig) -> _Planned:
    node, op = group[-1], group[-1].op
    assert isinstance(op, Mvau)
    pads: tuple[int, ...] = (0, 0, 0, 0)
    pad_value, kh, kw, sh, sw = 0, 1, 1, 1, 1
    for n in group[:-1]:
        if isinstance(n.op, Pad):
            p = n.op.pads
            pads, pad_value = (p if len(p) == 4 else (0, 0, *p)), n.op.value
        elif isinstance(n.op, SlidingWindow):
            (kh, kw), (sh, sw) = _hw(n.op.kernel_size), _hw(n.op.stride)
    base = _base(node, in_value, node.output, engine)
    if op.per_pixel:
        _check_max(node, "kernel size", max(kh, kw), engine.max_kernel)
        _check_max(node, "input channels", base["in_c"], engine.max_channels)
        _check_max(node, "output channels", base["out_c"], engine.max_channels)
    else:  # fully connected: a kernel as big as the map (channels-last = window order)
        kh, kw = base["in_h"], base["in_w"]
        base.update(out_c=node.output.size, out_h=1, out_w=1)
        # its vector may be as long as the longest window
        most = engine.max_channels * engine.max_kernel**2
        _check_max(node, "input channels", in_value.size, most)
        _check_max(node, "output channels", base["out_c"], most)
    _check_type(node, "weight", op.weight_dtype, engine.weight_bits)
    base.update(pad_top=pads[0], pad_left=pads[2], pad_value=pad_value)
    w = op.weight.array
    xmax = max(abs(in_value.dtype.min), abs(in_value.dtype.max), abs(pad_value))
    bound = int(np.abs(w.astype(object)).sum(axis=1).max()) * xmax if w.size else 0
    _check_acc(node, bound, engine)
    container = weight_container(op.weight_dtype, engine)
    weights, tile_bytes = _tiles(w, (kh, kw, base["in_c"]), container, engine)
    act, rows, levels, params = _params(node, op, bound, engine, base["out_c"])
    layer = Layer(kind=Kind.MVTU, k_h=kh, k_w=kw, s_h=sh, s_w=sw, act=act, p_rows=rows,
                  p_levels=levels, **{**base, "w_type": type_code(container),
                                      "w_tile_bytes": tile_bytes}, **_NO_DERIVED)  # fmt: skip
    return _Planned(node.name, _derived(layer, engine), weights, params, in_value, node.output)


def weight_container(t: IntType, engine: EngineConfig) -> IntType:
    """The type a layer's weights of type ``t`` are stored as: ``engine.weight_container``
    bits, bipolar only when that is one bit."""
    bits = engine.weight_container
    if t.bipolar and bits == 1:
        return t
    return IntType(bits, t.signed or t.bipolar)


def _tiles(
    w: Array, window: tuple[int, int, int], t: IntType, engine: EngineConfig
) -> tuple[bytes, int]:
    """Weight tiles in the engine's order (module docstring), each aligned to the bus."""
    out = w.shape[0]
    kh, kw, c = window
    b, pe, simd = engine.block, engine.pe, engine.simd
    tiles, groups = -(-out // b), -(-c // simd)
    fill = 1 if t.bipolar else 0  # any value of the type; multiplied by no real input
    padded = np.full((tiles * b, kh, kw, groups * simd), fill, dtype=np.int64)
    padded[:out, :, :, :c] = w.reshape(out, kh, kw, c)
    # [tile, sub-tile, pe, ky, kx, group, simd] -> [tile, sub-tile, ky, kx, group, pe, simd]
    order = padded.reshape(tiles, b // pe, pe, kh, kw, groups, simd).transpose(0, 1, 3, 4, 5, 2, 6)
    tile_bytes = align(packed_bytes(order[0].size, t.bits), engine.bus_bytes)
    return b"".join(pack(tile, t).ljust(tile_bytes, b"\0") for tile in order), tile_bytes


def _params(
    node: Node, op: Any, bound: int, engine: EngineConfig, channels: int
) -> tuple[int, int, int, bytes]:
    """(act, rows, levels, packed) of the output stage: thresholds clamped to +-(bound + 1)
    (an accumulator never passes beyond them, so the levels are the same), or multiplier,
    bias and shift; each an accumulator_bits two's-complement integer, one row per channel
    of ``engine.param_row`` words."""
    acc = IntType(engine.accumulator_bits, True)
    thresholds = op.thresholds if isinstance(op, Mvau | Thresholding | MultiThreshold) else None
    if (isinstance(op, Mvau) and op.multiplier) or isinstance(op, MulShift):
        if not engine.mulshift:
            raise FoldingError(
                f"MO: node {node.name!r}: the engine must have a multiply-shift stage"
            )
        n = max(len(op.multiplier), len(op.bias), len(op.shift))
        rows = np.array(
            [[v[i % len(v)] for v in (op.multiplier, op.bias, op.shift)] for i in range(n)],
            dtype=object,
        )
        _check_params(node, "multiply-shift parameter", rows, acc)
        return Act.MULSHIFT, channels, 3, _rows(rows, channels, engine)
    if thresholds is None:
        return Act.NONE, 0, 0, b""
    if not engine.thresholds:
        raise FoldingError(f"MO: node {node.name!r}: the engine must have a threshold stage")
    t = np.clip(thresholds.array.astype(object), -(bound + 1), bound + 1)
    _check_params(node, "threshold", t, acc)
    _check_max(node, "threshold levels", t.shape[1], engine.max_levels)
    return Act.THRESHOLDS, channels, t.shape[1], _rows(t, channels, engine)


def _rows(values: Array, channels: int, engine: EngineConfig) -> bytes:
    """One row per channel (a single row is every channel's), ``engine.param_row`` words."""
    rows = np.zeros((channels, engine.param_row), dtype=np.int64)
    rows[:, : values.shape[1]] = values.astype(np.int64)[np.arange(channels) % len(values)]
    return pack(rows, PARAM)


def _check_max(node: Node, what: str, value: int, most: int) -> None:
    if value > most:
        raise FoldingError(
            f"MO: node {node.name!r}: {what} must be <= {most} (the engine's maximum), not {value}"
        )


def _check_type(node: Node, what: str, t: IntType, bits: int) -> None:
    _check_max(node, f"{what} width ({t}) in bits", t.bits, bits)


def _check_acc(node: Node, bound: int, engine: EngineConfig) -> None:
    _check_max(node, "accumulator width in bits", (bound).bit_length() + 1, engine.accumulator_bits)


def _check_params(node: Node, what: str, values: Array, acc: IntType) -> None:
    worst = max((abs(int(v)) for v in values.ravel()), default=0)
    if not acc.contains(-worst, worst):
        _check_max(node, f"{what} width in bits", worst.bit_length() + 1, acc.bits)


def _place(planned: list[_Planned], graph: Graph, engine: EngineConfig) -> Program:
    """Addresses for everything, the checked total, and the image."""
    bus = engine.bus_bytes
    addr = align(HEADER_BYTES + DESCRIPTOR_BYTES * len(planned), bus)
    placed: list[Layer] = []
    for p in planned:
        w_addr, addr = addr, align(addr + len(p.weights), bus)
        p_addr, addr = addr, align(addr + len(p.params), bus)
        placed.append(replace(p.layer, w_addr=w_addr, p_addr=p_addr))
    maps = [
        (
            planned[0].layer.in_c,
            planned[0].layer.in_h * planned[0].layer.in_w,
            planned[0].in_value.dtype,
        )
    ]
    maps += [(p.layer.out_c, p.layer.out_h * p.layer.out_w, p.out_value.dtype) for p in planned]
    buffer = align(
        max(packed_bytes(blocked_size(c, n, engine.block), storage(t).bits) for c, n, t in maps),
        bus,
    )
    buffers = (addr, addr + buffer)
    total = addr + 2 * buffer
    if total > engine.memory_bytes:
        raise ResourceError(
            f"MO: memory must hold the schedule's {total} bytes (weights, parameters and two "
            f"activation buffers of {buffer}), not {engine.memory_bytes}"
        )
    placed = [
        replace(layer, in_addr=buffers[i % 2], out_addr=buffers[(i + 1) % 2])
        for i, layer in enumerate(placed)
    ]
    image = bytearray(total)
    out_addr = buffers[len(placed) % 2]
    struct.pack_into("<4I", image, 0, len(placed), buffers[0], out_addr, 0)
    for i, (p, layer) in enumerate(zip(planned, placed, strict=True)):
        image[HEADER_BYTES + i * DESCRIPTOR_BYTES : HEADER_BYTES + (i + 1) * DESCRIPTOR_BYTES] = (
            layer.words()
        )
        image[layer.w_addr : layer.w_addr + len(p.weights)] = p.weights
        image[layer.p_addr : layer.p_addr + len(p.params)] = p.params
    names = tuple(p.name for p in planned)
    output = graph.value(graph.outputs[0])
    return Program(
        engine, tuple(placed), names, bytes(image), graph.inputs[0], output, buffers[0], out_addr
    )
