"""MulShift parameters (fixed by the network), the hardware constants, and legal foldings.

The hardware shifts every channel by one amount, ``shift = max_c s_c``: channel c's
multiplier and bias are scaled by ``2**(shift - s_c)``, which leaves every quotient
``(x * m + b) / 2**s`` exactly as it was (see ``hw_constants``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

from streamfold.errors import FoldingError, IRError
from streamfold.hw.block import MemStyle, NodeFolding, check_whole_pixels, divisors
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import MulShift


@dataclass(frozen=True)
class MulShiftParams:
    """y[c] = clamp(round_half_even((x[c] * multiplier[c] + bias[c]) / 2**shift[c])).

    Each of ``multiplier``, ``bias``, ``shift`` has one entry per channel or one for all.
    A bipolar output is +1 where x * multiplier + bias >= 0, else -1.
    """

    channels: int
    in_dtype: IntType
    out_dtype: IntType
    multiplier: tuple[int, ...]
    bias: tuple[int, ...]
    shift: tuple[int, ...]
    pixels: int = 1  # channel vectors per frame (pixels of a [C, *spatial] feature map)


@dataclass(frozen=True)
class HwConstants:
    """The per-channel constants the RTL stores, all shifted by one ``shift``."""

    multiplier: tuple[int, ...]  # one per channel
    bias: tuple[int, ...]
    shift: int
    m_dtype: IntType  # signed type holding every multiplier
    b_dtype: IntType  # signed type holding every bias


def hw_constants(params: MulShiftParams) -> HwConstants:
    """Per-channel multipliers and biases at the common shift (the largest)."""
    shift = max(params.shift)
    ms, bs = [], []
    for c in range(params.channels):
        m, b, s = (v[c % len(v)] for v in (params.multiplier, params.bias, params.shift))
        ms.append(m << (shift - s))
        bs.append(b << (shift - s))
    m_dtype = narrowest(min(min(ms), -1), max(ms))
    b_dtype = narrowest(min(min(bs), -1), max(bs))
    return HwConstants(tuple(ms), tuple(bs), shift, m_dtype, b_dtype)


def params_of(graph: Graph, node: Node) -> MulShiftParams:
    """The parameters of a ``MulShift`` node over a ``[channels, *spatial]`` input, streamed
    channels-last (one channel vector per pixel)."""
    op = node.op
    if not isinstance(op, MulShift):
        raise IRError(f"{node.name}: op must be MulShift, not {type(op).__name__}")
    x = graph.value(node.inputs[0])
    channels = x.shape[0]
    for what, values in (("multiplier", op.multiplier), ("bias", op.bias), ("shift", op.shift)):
        if len(values) not in (1, channels):
            raise IRError(
                f"{node.name}: {what} must have 1 or {channels} entries, not {len(values)}"
            )
    if min(op.shift) < 0:
        raise IRError(f"{node.name}: shift must be >= 0, not {min(op.shift)}")
    pixels = math.prod(x.shape[1:])
    return MulShiftParams(
        channels, x.dtype, node.output.dtype, op.multiplier, op.bias, op.shift, pixels
    )


def foldings(params: MulShiftParams) -> Iterator[NodeFolding]:
    """Every legal folding: PE dividing channels (SIMD is 1), each memory style."""
    for pe in divisors(params.channels):
        for style in MemStyle:
            yield NodeFolding(pe=pe, simd=1, mem_style=style)


def check_folding(name: str, params: MulShiftParams, folding: NodeFolding) -> None:
    """Raise FoldingError naming the node and the violated constraint."""
    check_whole_pixels(name, params.channels, params.pixels, folding)
    if folding.simd != 1:
        raise FoldingError(f"{name}: simd must be 1 for MulShift, not {folding.simd}")
    if folding.pe < 1:
        raise FoldingError(f"{name}: pe must be >= 1, not {folding.pe}")
    if params.channels % folding.pe:
        raise FoldingError(f"{name}: pe={folding.pe} must divide channels={params.channels}")


def widened(params: MulShiftParams, folding: NodeFolding) -> tuple[MulShiftParams, NodeFolding]:
    """At mmv > 1 (whole pixels per word), the same unit over words of mmv pixels taken as
    mmv * channels channels, per-channel constants repeated for each pixel: sf_mulshift then
    computes mmv pixels per cycle, unchanged. At mmv = 1: ``params`` and ``folding``."""
    mmv = folding.mmv
    if mmv == 1:
        return params, folding

    def tiled(v: tuple[int, ...]) -> tuple[int, ...]:
        return v if len(v) == 1 else v * mmv

    wide = replace(
        params,
        channels=params.channels * mmv,
        pixels=params.pixels // mmv,
        multiplier=tiled(params.multiplier),
        bias=tiled(params.bias),
        shift=tiled(params.shift),
    )
    return wide, replace(folding, pe=folding.pe * mmv, mmv=1)
