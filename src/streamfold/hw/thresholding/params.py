"""Thresholding parameters (fixed by the network) and its legal foldings."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from streamfold.errors import FoldingError, IRError
from streamfold.hw.block import MemStyle, NodeFolding, check_whole_pixels, divisors
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import IntArray, Thresholding


@dataclass(frozen=True)
class ThresholdingParams:
    """y[c] = out_dtype's value of level count_k(x[c] >= thresholds[c, k])."""

    channels: int
    in_dtype: IntType
    out_dtype: IntType
    thresholds: IntArray  # [channels or 1, out_dtype.levels - 1]; 1 row applies to every channel
    pixels: int = 1  # channel vectors per frame (pixels of a [C, *spatial] feature map)


def params_of(graph: Graph, node: Node) -> ThresholdingParams:
    """The parameters of a ``Thresholding`` node over a ``[channels, *spatial]`` input, streamed
    channels-last (one channel vector per pixel)."""
    op = node.op
    if not isinstance(op, Thresholding):
        raise IRError(f"{node.name}: op must be Thresholding, not {type(op).__name__}")
    x = graph.value(node.inputs[0])
    pixels = math.prod(x.shape[1:])
    return ThresholdingParams(x.shape[0], x.dtype, node.output.dtype, op.thresholds, pixels)


def foldings(params: ThresholdingParams) -> Iterator[NodeFolding]:
    """Every legal folding: PE dividing channels (SIMD is 1), each memory style."""
    for pe in divisors(params.channels):
        for style in MemStyle:
            yield NodeFolding(pe=pe, simd=1, mem_style=style)


def check_folding(name: str, params: ThresholdingParams, folding: NodeFolding) -> None:
    """Raise FoldingError naming the node and the violated constraint."""
    check_whole_pixels(name, params.channels, params.pixels, folding)
    if folding.simd != 1:
        raise FoldingError(f"{name}: simd must be 1 for Thresholding, not {folding.simd}")
    if folding.pe < 1:
        raise FoldingError(f"{name}: pe must be >= 1, not {folding.pe}")
    if params.channels % folding.pe:
        raise FoldingError(f"{name}: pe={folding.pe} must divide channels={params.channels}")


def widened(
    params: ThresholdingParams, folding: NodeFolding
) -> tuple[ThresholdingParams, NodeFolding]:
    """At mmv > 1 (whole pixels per word), the same unit over words of mmv pixels taken as
    mmv * channels channels, per-channel thresholds repeated for each pixel: sf_thresholding
    then computes mmv pixels per cycle, unchanged. At mmv = 1: ``params`` and ``folding``."""
    mmv = folding.mmv
    if mmv == 1:
        return params, folding
    t = params.thresholds.array
    rows = t if t.shape[0] == 1 else np.tile(t, (mmv, 1))
    wide = replace(
        params,
        channels=params.channels * mmv,
        pixels=params.pixels // mmv,
        thresholds=IntArray(rows),
    )
    return wide, replace(folding, pe=folding.pe * mmv, mmv=1)
