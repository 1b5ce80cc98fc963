"""DepthToSpace parameters (fixed by the network) and its legal foldings.

Stream conventions (also at the top of sf_depthtospace.v):

- Input: a ``[C * b * b, H, W]`` map streamed channels-last: pixels in row-major order,
  channels fastest; a word carries SIMD consecutive channels of one pixel.
- Output: the ``[C, H * b, W * b]`` map in the same order and layout (ir.ops.DepthToSpace).

DCR mode: output pixel ``(h * b + i, w * b + j)`` is the C consecutive input channels from
``(i * b + j) * C`` of input pixel ``(h, w)``, so SIMD may be any divisor of C (words move
whole). CRD mode: its channels are ``b * b`` input channels apart, so a word is one channel:
SIMD is 1. ``pe`` is 1. The row buffer's memory style is the folding's.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from streamfold.errors import FoldingError, IRError
from streamfold.hw.block import MemStyle, NodeFolding, channel_foldings, check_channel_lanes
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import DepthToSpace, DepthToSpaceMode


@dataclass(frozen=True)
class DepthToSpaceParams:
    """``[channels * b * b, *in_dims]`` to ``[channels, h * b, w * b]``, ``b = block_size``."""

    channels: int  # output channels C
    in_dims: tuple[int, ...]  # (H, W)
    block_size: int
    mode: DepthToSpaceMode
    dtype: IntType

    def __post_init__(self) -> None:
        if self.channels < 1:
            raise IRError(f"DepthToSpaceParams: channels must be >= 1, not {self.channels}")
        if len(self.in_dims) != 2 or min(self.in_dims) < 1:
            raise IRError(f"DepthToSpaceParams: in_dims must be (H, W) >= 1, not {self.in_dims}")
        if self.block_size < 1:
            raise IRError(f"DepthToSpaceParams: block_size must be >= 1, not {self.block_size}")

    @property
    def in_channels(self) -> int:
        return self.channels * self.block_size**2

    @property
    def out_dims(self) -> tuple[int, ...]:
        return tuple(d * self.block_size for d in self.in_dims)

    @property
    def in_vector(self) -> int:
        return self.in_channels * math.prod(self.in_dims)

    @property
    def out_vector(self) -> int:
        return self.in_vector


def foldings(params: DepthToSpaceParams) -> Iterator[NodeFolding]:
    """Every legal folding: SIMD dividing channels (1 in CRD mode), each memory style."""
    if params.mode is DepthToSpaceMode.CRD:
        return (NodeFolding(simd=1, mem_style=s) for s in MemStyle)
    return channel_foldings(params.channels, MemStyle)


def check_folding(name: str, params: DepthToSpaceParams, folding: NodeFolding) -> None:
    """Raise FoldingError naming the node and the violated constraint."""
    check_channel_lanes(name, params.channels, folding, "depth-to-space lanes are its simd")
    if params.mode is DepthToSpaceMode.CRD and folding.simd != 1:
        raise FoldingError(
            f"{name}: simd must be 1 in CRD mode (an output word's channels are "
            f"{params.block_size**2} input channels apart), not {folding.simd}"
        )


def params_of(graph: Graph, node: Node) -> DepthToSpaceParams:
    """The parameters of a ``DepthToSpace`` node."""
    op = node.op
    if not isinstance(op, DepthToSpace):
        raise IRError(f"{node.name}: op must be DepthToSpace, not {type(op).__name__}")
    x = graph.value(node.inputs[0])
    c = x.shape[0] // op.block_size**2
    return DepthToSpaceParams(c, x.shape[1:], op.block_size, op.mode, x.dtype)
