"""Upsampling parameters (fixed by the network) and its legal foldings.

Stream conventions (also at the top of sf_upsample.v):

- Input: a ``[C, *spatial]`` map (spatial ``(L,)`` or ``(H, W)``) streamed channels-last: pixels
  in row-major spatial order, channels fastest; a word carries SIMD consecutive channels of one
  pixel, so a pixel is ``C / SIMD`` words.
- Output: the ``[C, *(d * f)]`` map in the same order and layout: each input row repeated
  ``f_h`` times, each pixel of it ``f_w`` times (nearest neighbour, integer factors).

SIMD is the parallelism over channels, so ``NodeFolding.simd`` divides channels and ``pe`` is 1.
The row buffer's memory style is the folding's.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from streamfold.errors import IRError
from streamfold.hw.block import MemStyle, NodeFolding, channel_foldings, check_channel_lanes
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import Upsample


@dataclass(frozen=True)
class UpsampleParams:
    """Repeat each pixel of a ``[channels, *in_dims]`` map ``scale`` times per axis."""

    channels: int
    in_dims: tuple[int, ...]  # (L,) or (H, W)
    scale: tuple[int, ...]  # one integer factor >= 1 per axis
    dtype: IntType

    def __post_init__(self) -> None:
        if self.channels < 1:
            raise IRError(f"UpsampleParams: channels must be >= 1, not {self.channels}")
        if len(self.in_dims) not in (1, 2) or min(self.in_dims) < 1:
            raise IRError(
                f"UpsampleParams: in_dims must be (L,) or (H, W) >= 1, not {self.in_dims}"
            )
        if len(self.scale) != len(self.in_dims) or min(self.scale) < 1:
            raise IRError(
                f"UpsampleParams: scale must be {len(self.in_dims)} ints >= 1, not {self.scale}"
            )

    @property
    def in_hw(self) -> tuple[int, int]:
        """(rows, columns) of the input: a 1-D signal is one row."""
        return (
            (1, self.in_dims[0]) if len(self.in_dims) == 1 else (self.in_dims[0], self.in_dims[1])
        )

    @property
    def scale_hw(self) -> tuple[int, int]:
        return (1, self.scale[0]) if len(self.scale) == 1 else (self.scale[0], self.scale[1])

    @property
    def out_dims(self) -> tuple[int, ...]:
        return tuple(d * f for d, f in zip(self.in_dims, self.scale, strict=True))

    @property
    def in_vector(self) -> int:
        return self.channels * math.prod(self.in_dims)

    @property
    def out_vector(self) -> int:
        return self.channels * math.prod(self.out_dims)


def foldings(params: UpsampleParams) -> Iterator[NodeFolding]:
    """Every legal folding: SIMD dividing channels, each memory style for the row buffer."""
    return channel_foldings(params.channels, MemStyle)


def check_folding(name: str, params: UpsampleParams, folding: NodeFolding) -> None:
    """Raise FoldingError naming the node and the violated constraint."""
    check_channel_lanes(name, params.channels, folding, "upsampling channel lanes are its simd")


def params_of(graph: Graph, node: Node) -> UpsampleParams:
    """The parameters of an ``Upsample`` node."""
    op = node.op
    if not isinstance(op, Upsample):
        raise IRError(f"{node.name}: op must be Upsample, not {type(op).__name__}")
    x = graph.value(node.inputs[0])
    return UpsampleParams(x.shape[0], x.shape[1:], op.scale, x.dtype)
