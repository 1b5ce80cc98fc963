"""Padding parameters (fixed by the network) and its legal foldings.

Stream conventions (those of hw.swg; also at the top of sf_pad.v):

- Input: a ``[C, *spatial]`` map (spatial ``(L,)`` or ``(H, W)``) streamed channels-last: pixels
  in row-major spatial order, channels fastest; a word carries SIMD consecutive channels of one
  pixel, so a pixel is ``C / SIMD`` words.
- Output: the padded ``[C, *padded]`` map in the same order and word layout.

``padding`` is one ``(before, after)`` pair per spatial dimension, as ``numpy.pad`` takes it:
``((top, bottom), (left, right))`` in 2-D, ``((left, right),)`` in 1-D; every side may differ.
Border pixels hold ``pad_value`` in every channel: 0 for zero padding; a bipolar map has no 0,
so it must say -1 or +1 (a binarised conv padded with -1 is the usual choice, FINN's too).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from streamfold.errors import IRError
from streamfold.hw.block import NodeFolding, channel_foldings, check_channel_lanes, element_code
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import Pad


@dataclass(frozen=True)
class PadParams:
    """Pad a ``[channels, *in_dims]`` map by ``padding`` with ``pad_value``."""

    channels: int
    in_dims: tuple[int, ...]  # (L,) or (H, W)
    padding: tuple[tuple[int, int], ...]  # (before, after) per spatial dimension
    dtype: IntType
    pad_value: int = 0

    def __post_init__(self) -> None:
        if self.channels < 1:
            raise IRError(f"PadParams: channels must be >= 1, not {self.channels}")
        if len(self.in_dims) not in (1, 2) or min(self.in_dims) < 1:
            raise IRError(f"PadParams: in_dims must be (L,) or (H, W) >= 1, not {self.in_dims}")
        if len(self.padding) != len(self.in_dims) or any(
            len(p) != 2 or min(p) < 0 for p in self.padding
        ):
            raise IRError(
                f"PadParams: padding must be {len(self.in_dims)} (before, after) pairs >= 0, "
                f"not {self.padding}"
            )
        if self.dtype.bipolar and self.pad_value not in (-1, 1):
            raise IRError(f"PadParams: bipolar pad_value must be -1 or 1, not {self.pad_value}")
        if not self.dtype.contains(self.pad_value, self.pad_value):
            raise IRError(f"PadParams: pad_value must fit {self.dtype}, not {self.pad_value}")

    @property
    def in_hw(self) -> tuple[int, int]:
        """(H, W): a 1-D signal is one row."""
        if len(self.in_dims) == 1:
            return 1, self.in_dims[0]
        return self.in_dims[0], self.in_dims[1]

    @property
    def padding_hw(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """((top, bottom), (left, right)): a 1-D signal has no top or bottom."""
        if len(self.padding) == 1:
            return (0, 0), self.padding[0]
        return self.padding[0], self.padding[1]

    @property
    def out_dims(self) -> tuple[int, ...]:
        return tuple(d + a + b for d, (a, b) in zip(self.in_dims, self.padding, strict=True))

    @property
    def out_hw(self) -> tuple[int, int]:
        (h, w), ((t, b), (left, right)) = self.in_hw, self.padding_hw
        return h + t + b, w + left + right

    @property
    def in_vector(self) -> int:
        return self.channels * math.prod(self.in_dims)

    @property
    def out_vector(self) -> int:
        return self.channels * math.prod(self.out_dims)

    @property
    def pad_code(self) -> int:
        """``pad_value`` as the element's bits (``hw.block.element_code``)."""
        return element_code(self.pad_value, self.dtype)


def foldings(params: PadParams) -> Iterator[NodeFolding]:
    """Every legal folding: SIMD dividing channels (no memory: the style is irrelevant)."""
    return channel_foldings(params.channels)


def check_folding(name: str, params: PadParams, folding: NodeFolding) -> None:
    """Raise FoldingError naming the node and the violated constraint."""
    check_channel_lanes(name, params.channels, folding, "padding has no PE lanes")


def params_of(graph: Graph, node: Node) -> PadParams:
    """The parameters of a ``Pad`` node."""
    op = node.op
    if not isinstance(op, Pad):
        raise IRError(f"{node.name}: op must be Pad, not {type(op).__name__}")
    x = graph.value(node.inputs[0])
    if node.output.dtype != x.dtype:
        raise IRError(f"{node.name}: output type must be the input's {x.dtype}")
    pairs = tuple(zip(op.pads[0::2], op.pads[1::2], strict=True))
    return PadParams(x.shape[0], x.shape[1:], pairs, x.dtype, op.value)


def word_needs(params: PadParams, folding: NodeFolding) -> Any:
    """Per output word, the input word it copies; -1 for a padding word (it needs no input:
    the top rows and left columns leave before the first input word arrives)."""
    (h, w), ((top, _), (left, _)) = params.in_hw, params.padding_hw
    oh, ow = params.out_hw
    groups = params.channels // folding.simd
    y, x = np.meshgrid(np.arange(oh) - top, np.arange(ow) - left, indexing="ij")
    real = (y >= 0) & (y < h) & (x >= 0) & (x < w)
    pixel = np.where(real, y * w + x, -1).reshape(-1, 1)
    words = np.where(pixel >= 0, pixel * groups + np.arange(groups)[None, :], -1)
    return words.reshape(-1).astype(np.int64)
