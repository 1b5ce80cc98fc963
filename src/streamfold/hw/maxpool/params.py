"""Max-pooling parameters (fixed by the network) and its legal foldings.

Stream conventions (those of hw.swg; also at the top of sf_maxpool.v):

- Input: a ``[C, *spatial]`` map (spatial ``(L,)`` or ``(H, W)``) streamed channels-last: pixels
  in row-major spatial order, channels fastest; a word carries SIMD consecutive channels of one
  pixel, so a pixel is ``C / SIMD`` words.
- Output: the pooled ``[C, *out_dims]`` map in the same order and layout, ``out_dims`` =
  ``(d - k) // s + 1`` per dimension (no padding, floor: PyTorch's default; pad first with
  hw.pad). Kernel and stride are per dimension and independent (overlapping windows included).
- Elements: unsigned and signed (two's complement) compare as integers; bipolar elements
  (1 = +1, 0 = -1) take the OR of their bits, which is their max.

SIMD is the parallelism over channels (FINN's PE of its Pool layer): SIMD channels are compared
per cycle, so ``NodeFolding.simd`` divides channels and ``pe`` is 1. The window buffer is an
sf_swg whose memory style is the folding's.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from streamfold.errors import IRError
from streamfold.hw.block import MemStyle, NodeFolding, channel_foldings, check_channel_lanes
from streamfold.hw.swg.params import SwgParams
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import MaxPool


@dataclass(frozen=True)
class MaxPoolParams:
    """Max over ``kernel_size`` windows, ``stride`` apart, of a ``[channels, *in_dims]`` map."""

    channels: int
    in_dims: tuple[int, ...]  # (L,) or (H, W)
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    dtype: IntType

    def __post_init__(self) -> None:
        try:
            self.swg  # noqa: B018 -- the window generator checks the same geometry
        except IRError as e:
            raise IRError(str(e).replace("SwgParams", "MaxPoolParams", 1)) from None

    @property
    def swg(self) -> SwgParams:
        """The sliding-window generator inside the block."""
        return SwgParams(self.channels, self.in_dims, self.kernel_size, self.stride, self.dtype)

    @property
    def out_dims(self) -> tuple[int, ...]:
        return self.swg.out_dims

    @property
    def window(self) -> int:
        return math.prod(self.kernel_size)

    @property
    def in_vector(self) -> int:
        return self.channels * math.prod(self.in_dims)

    @property
    def out_vector(self) -> int:
        return self.channels * math.prod(self.out_dims)


def foldings(params: MaxPoolParams) -> Iterator[NodeFolding]:
    """Every legal folding: SIMD dividing channels, each memory style for the window buffer."""
    return channel_foldings(params.channels, MemStyle)


def check_folding(name: str, params: MaxPoolParams, folding: NodeFolding) -> None:
    """Raise FoldingError naming the node and the violated constraint."""
    check_channel_lanes(name, params.channels, folding, "max-pool channel lanes are its simd")


def params_of(graph: Graph, node: Node) -> MaxPoolParams:
    """The parameters of a ``MaxPool`` node."""
    op = node.op
    if not isinstance(op, MaxPool):
        raise IRError(f"{node.name}: op must be MaxPool, not {type(op).__name__}")
    x = graph.value(node.inputs[0])
    return MaxPoolParams(x.shape[0], x.shape[1:], op.kernel_size, op.stride, x.dtype)
