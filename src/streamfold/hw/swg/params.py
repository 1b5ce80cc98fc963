"""Sliding-window generator parameters (fixed by the network) and its legal foldings.

Stream conventions (also at the top of sf_swg.v; the conv lowering depends on them):

- Input: a ``[C, *spatial]`` feature map (spatial ``(L,)`` or ``(H, W)``, already padded)
  streamed channels-last: pixels in row-major spatial order, channels fastest. A word carries
  SIMD consecutive channels of one pixel, so a pixel is ``C / SIMD`` words.
- Output: for each output pixel in row-major order, its window in ``(k_h, k_w, c)`` order,
  channels fastest; a word carries SIMD channels of one kernel position. A frame is
  ``out_pixels * K_h * K_w * C / SIMD`` words: the input-vector order an MVAU with SIMD lanes
  and weights laid out ``[out_channels, k_h, k_w, in_channels]`` expects.
- With ``mmv > 1``: output pixels go in groups of ``mmv`` consecutive pixels of a row (``mmv``
  divides the output width) and one word carries the same kernel position and channel fold
  for the whole group: element ``m * SIMD + s`` is channel ``cf * SIMD + s`` of group pixel
  ``m``. The frame's element order is then ``[OH, OW / mmv, K_h, K_w, C / SIMD, mmv, SIMD]``.

``mmv`` (output pixels per word, for high-rate 1-D signals) lives in ``SwgParams`` because
``NodeFolding`` has no field for it: the conv lowering chooses it together with the MVAU that
consumes the stream. ``check_folding`` checks it with the folding's SIMD.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from streamfold.errors import FoldingError, IRError
from streamfold.hw.block import (
    MemStyle,
    NodeFolding,
    channel_foldings,
    check_channel_lanes,
    element_code,
)
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import SlidingWindow


@dataclass(frozen=True)
class SwgParams:
    """Windows of a ``[channels, *in_dims]`` map: ``kernel_size`` and ``stride`` per dimension."""

    channels: int
    in_dims: tuple[int, ...]  # (L,) or (H, W), padding included
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    dtype: IntType
    mmv: int = 1  # output pixels per output word
    # (before, after) per spatial dimension the window adds itself (SlidingWindow.pads; then
    # ``in_dims`` includes it and the input stream does not): a 1-D signal's (left, right)
    padding: tuple[tuple[int, int], ...] = ()
    pad_value: int = 0

    def __post_init__(self) -> None:
        if self.channels < 1:
            raise IRError(f"SwgParams: channels must be >= 1, not {self.channels}")
        if len(self.in_dims) not in (1, 2):
            raise IRError(f"SwgParams: in_dims must be (L,) or (H, W), not {self.in_dims}")
        for what in ("kernel_size", "stride"):
            value = getattr(self, what)
            if len(value) != len(self.in_dims) or min(value) < 1:
                raise IRError(
                    f"SwgParams: {what} must be {len(self.in_dims)} ints >= 1, not {value}"
                )
        if self.padding and (
            len(self.padding) != len(self.in_dims) or min(min(p) for p in self.padding) < 0
        ):
            raise IRError(
                f"SwgParams: padding must be {len(self.in_dims)} (before, after) pairs >= 0, "
                f"not {self.padding}"
            )
        if any(k > d for k, d in zip(self.kernel_size, self.in_dims, strict=True)):
            raise IRError(
                f"SwgParams: kernel_size must fit in_dims={self.in_dims}, not {self.kernel_size}"
            )

    def _hw(self, dims: tuple[int, ...], one: int) -> tuple[int, int]:
        return (one, dims[0]) if len(dims) == 1 else (dims[0], dims[1])

    @property
    def in_hw(self) -> tuple[int, int]:
        """(H, W): a 1-D signal is one row."""
        return self._hw(self.in_dims, 1)

    @property
    def kernel_hw(self) -> tuple[int, int]:
        return self._hw(self.kernel_size, 1)

    @property
    def stride_hw(self) -> tuple[int, int]:
        return self._hw(self.stride, 1)

    @property
    def out_dims(self) -> tuple[int, ...]:
        """Output spatial dims, as many as ``in_dims``: (d - k) // s + 1 each."""
        return tuple(
            (d - k) // s + 1
            for d, k, s in zip(self.in_dims, self.kernel_size, self.stride, strict=True)
        )

    @property
    def out_hw(self) -> tuple[int, int]:
        return self._hw(self.out_dims, 1)

    @property
    def window(self) -> int:
        """Kernel positions per window: K_h * K_w."""
        return math.prod(self.kernel_size)

    @property
    def in_vector(self) -> int:
        """Elements per input frame (the padding the window adds is not in it)."""
        return self.channels * math.prod(self.unpadded_dims)

    @property
    def unpadded_dims(self) -> tuple[int, ...]:
        """The input stream's spatial dims: ``in_dims`` less the padding the window adds."""
        if not self.padding:
            return self.in_dims
        return tuple(d - a - b for d, (a, b) in zip(self.in_dims, self.padding, strict=True))

    @property
    def pad_code(self) -> int:
        """``pad_value`` as the element's bits (``hw.block.element_code``)."""
        return element_code(self.pad_value, self.dtype)

    @property
    def out_vector(self) -> int:
        """Elements per output frame: out_pixels * K_h * K_w * channels."""
        return math.prod(self.out_dims) * self.window * self.channels


def foldings(params: SwgParams) -> Iterator[NodeFolding]:
    """Every legal folding: SIMD dividing channels, each memory style for the buffer."""
    return channel_foldings(params.channels, MemStyle)


def check_folding(name: str, params: SwgParams, folding: NodeFolding) -> None:
    """Raise FoldingError naming the node and the violated constraint."""
    check_channel_lanes(name, params.channels, folding, "the SWG has no PE lanes")
    if params.mmv < 1:
        raise FoldingError(f"{name}: mmv must be >= 1, not {params.mmv}")
    out_w = params.out_hw[1]
    if out_w % params.mmv:
        raise FoldingError(f"{name}: mmv={params.mmv} must divide out width={out_w}")


def params_of(graph: Graph, node: Node) -> SwgParams:
    """The parameters of a ``SlidingWindow`` node (one output pixel per word)."""
    op = node.op
    if not isinstance(op, SlidingWindow):
        raise IRError(f"{node.name}: op must be SlidingWindow, not {type(op).__name__}")
    x = graph.value(node.inputs[0])
    if not op.pads:
        return SwgParams(x.shape[0], x.shape[1:], op.kernel_size, op.stride, x.dtype)
    pairs = tuple(zip(op.pads[0::2], op.pads[1::2], strict=True))
    dims = tuple(d + a + b for d, (a, b) in zip(x.shape[1:], pairs, strict=True))
    return SwgParams(
        x.shape[0], dims, op.kernel_size, op.stride, x.dtype, padding=pairs, pad_value=op.value
    )


def word_needs(params: SwgParams, folding: NodeFolding, whole_window: bool = False) -> Any:
    """Per output word (window position by window position, ``(k_h, k_w, c)`` order), the
    input word it reads: SIMD channels of one input pixel; the frame's last output word waits
    for the frame's last input word (sf_swg.v, also inside sf_maxpool.v, takes an unread tail
    before it completes a frame). ``whole_window``: one output word per window and channel
    group (pooling), needing the window's last pixel."""
    (_, w), (kh, kw), (sh, sw) = params.in_hw, params.kernel_hw, params.stride_hw
    oh, ow = params.out_hw
    groups = params.channels // folding.simd
    oy, ox = np.meshgrid(np.arange(oh), np.arange(ow), indexing="ij")
    ox = (ox // params.mmv) * params.mmv + params.mmv - 1  # a word's last pixel
    if whole_window:
        ky, kx = np.array([kh - 1]), np.array([kw - 1])
    else:
        ky, kx = (a.ravel() for a in np.meshgrid(np.arange(kh), np.arange(kw), indexing="ij"))
    y = oy.reshape(-1, 1) * sh + ky.reshape(1, -1)
    x = np.minimum(ox.reshape(-1, 1) * sw + kx.reshape(1, -1), w - 1)
    pixel = (y * w + x)[:, :, None] * groups + np.arange(groups)[None, None, :]
    if params.mmv > 1:
        pixel = pixel.reshape(oh, ow // params.mmv, params.mmv, -1)[:, :, -1]
    needs = pixel.reshape(-1).astype(np.int64)
    needs[-1] = params.in_vector // folding.simd - 1
    return needs
