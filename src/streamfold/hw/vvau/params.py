"""VVAU parameters (fixed by the network) and its legal foldings.

Folding: PE channels and SIMD kernel positions in parallel. The input stream is the window
stream of a SlidingWindow (``hw.swg``): per output pixel its window in ``(k, c)`` order, channels
fastest. A VVAU input word is PE * SIMD consecutive elements of that order, so that no
reordering block sits between them: either one kernel position of PE channels (SIMD = 1, the
window's SIMD equal to the VVAU's PE, as FINN pairs a ConvolutionInputGenerator with its VVAU)
or SIMD whole kernel positions (PE = channels; a width converter widens the window's words).
Hence the rule checked here: SIMD > 1 only with PE = channels.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from streamfold.errors import FoldingError, IRError
from streamfold.hw.block import MemStyle, NodeFolding, check_whole_vectors, divisors
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.graph import Graph, Node
from streamfold.ir.intervals import dot_interval
from streamfold.ir.ops import IntArray, Vvau


@dataclass(frozen=True)
class VvauParams:
    """y[c] = sum_k w[c, k] * window[k, c] per pixel (the accumulator), or its thresholded
    levels when thresholds are given."""

    channels: int  # C
    kernel: int  # K = k_h * k_w window positions
    in_dtype: IntType
    weight_dtype: IntType
    acc_dtype: IntType  # narrowest type holding every exact dot product for these weights
    out_dtype: IntType  # the node's output type: the levels' type, or one holding acc_dtype
    weight: IntArray  # [channels, kernel]
    thresholds: IntArray | None  # [channels or 1, out_dtype.levels - 1]
    pixels: int = 1  # output pixels per frame

    @property
    def n_thresholds(self) -> int:
        """Thresholds per channel; 0 when the accumulator is the output."""
        return 0 if self.thresholds is None else self.thresholds.shape[1]

    @property
    def in_features(self) -> int:
        """Elements of one pixel's window: K * C."""
        return self.kernel * self.channels


def params_of(graph: Graph, node: Node) -> VvauParams:
    """The parameters of a ``Vvau`` node; the accumulator type comes from its actual weights."""
    op = node.op
    if not isinstance(op, Vvau):
        raise IRError(f"{node.name}: op must be Vvau, not {type(op).__name__}")
    x = graph.value(node.inputs[0])
    channels, kernel = op.weight.shape
    lo, hi = dot_interval(op.weight.array, x.dtype.min, x.dtype.max)
    out = node.output.dtype
    if op.thresholds is None and (out.bipolar or not out.contains(lo, hi)):
        # the RTL extends the accumulator into the output type: it must hold every sum
        raise IRError(f"{node.name}: output type must hold [{lo}, {hi}], not {out}")
    pixels = math.prod(x.shape[1:])
    return VvauParams(
        channels,
        kernel,
        x.dtype,
        op.weight_dtype,
        narrowest(lo, hi),
        out,
        op.weight,
        op.thresholds,
        pixels,
    )


def foldings(params: VvauParams) -> Iterator[NodeFolding]:
    """Every legal folding: PE dividing channels; SIMD dividing the kernel positions, above 1
    only with PE = channels (see the module docstring); each memory style."""
    for pe in divisors(params.channels):
        simds = divisors(params.kernel) if pe == params.channels else [1]
        for simd in simds:
            for style in MemStyle:
                yield NodeFolding(pe=pe, simd=simd, mem_style=style)


def check_folding(name: str, params: VvauParams, folding: NodeFolding) -> None:
    """Raise FoldingError naming the node and the violated constraint."""
    for what, value in (("pe", folding.pe), ("simd", folding.simd)):
        if value < 1:
            raise FoldingError(f"{name}: {what} must be >= 1, not {value}")
    if params.channels % folding.pe:
        raise FoldingError(f"{name}: pe={folding.pe} must divide channels={params.channels}")
    if params.kernel % folding.simd:
        raise FoldingError(
            f"{name}: simd={folding.simd} must divide kernel positions={params.kernel}"
        )
    if folding.simd > 1 and folding.pe != params.channels:
        raise FoldingError(
            f"{name}: pe must be channels={params.channels} when simd={folding.simd} > 1 "
            f"(an input word is whole kernel positions), not {folding.pe}"
        )
    check_mmv(name, params, folding)


def check_mmv(name: str, params: VvauParams, folding: NodeFolding) -> None:
    """mmv pixels per word: dividing the pixels, each word holding whole windows and whole
    output pixels (PE = channels, SIMD = kernel positions; sf_vvau_mmv.v)."""
    check_whole_vectors(name, params.pixels, (params.channels, params.kernel), folding)
