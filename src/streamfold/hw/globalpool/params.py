"""Global sum pooling parameters (fixed by the network) and its legal foldings.

Stream conventions (those of hw.swg; also at the top of sf_globalpool.v):

- Input: a ``[C, *spatial]`` map (spatial ``(L,)`` or ``(H, W)``) streamed channels-last: pixels
  in row-major spatial order, channels fastest; a word carries SIMD consecutive channels of one
  pixel, so a pixel is ``C / SIMD`` words.
- Output: one vector of C sums per frame, ``C / SIMD`` words of SIMD channels each.

Width rule: the sums have ``out_dtype``, the narrowest IntType holding ``N * min .. N * max``
for ``N = H * W`` pixels (unsigned for unsigned inputs; bipolar inputs, -1 / +1, give
``-N .. N``). No sum can overflow it, and no narrower type holds every possible sum.
A global *average* is this sum with ``1 / N`` folded into the next layer's scale.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from streamfold.errors import IRError
from streamfold.hw.block import NodeFolding, channel_foldings, check_channel_lanes
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import GlobalSumPool


@dataclass(frozen=True)
class GlobalPoolParams:
    """Per-channel sums of a ``[channels, *in_dims]`` map of ``dtype`` elements."""

    channels: int
    in_dims: tuple[int, ...]  # (L,) or (H, W)
    dtype: IntType

    def __post_init__(self) -> None:
        if self.channels < 1:
            raise IRError(f"GlobalPoolParams: channels must be >= 1, not {self.channels}")
        if len(self.in_dims) not in (1, 2) or min(self.in_dims) < 1:
            raise IRError(
                f"GlobalPoolParams: in_dims must be (L,) or (H, W) >= 1, not {self.in_dims}"
            )

    @property
    def pixels(self) -> int:
        return math.prod(self.in_dims)

    @property
    def out_dtype(self) -> IntType:
        """The narrowest type of every possible sum (module docstring)."""
        return narrowest(self.pixels * self.dtype.min, self.pixels * self.dtype.max)

    @property
    def in_vector(self) -> int:
        return self.channels * self.pixels

    @property
    def out_vector(self) -> int:
        return self.channels


def foldings(params: GlobalPoolParams) -> Iterator[NodeFolding]:
    """Every legal folding: SIMD dividing channels."""
    return channel_foldings(params.channels)


def check_folding(name: str, params: GlobalPoolParams, folding: NodeFolding) -> None:
    """Raise FoldingError naming the node and the violated constraint."""
    check_channel_lanes(name, params.channels, folding, "global pooling folds channels by simd")


def params_of(graph: Graph, node: Node) -> GlobalPoolParams:
    """The parameters of a ``GlobalSumPool`` node; its output type must be the sums' type."""
    if not isinstance(node.op, GlobalSumPool):
        raise IRError(f"{node.name}: op must be GlobalSumPool, not {type(node.op).__name__}")
    x = graph.value(node.inputs[0])
    params = GlobalPoolParams(x.shape[0], x.shape[1:], x.dtype)
    if node.output.dtype != params.out_dtype:
        raise IRError(
            f"{node.name}: output type must be {params.out_dtype}, not {node.output.dtype}"
        )
    return params
