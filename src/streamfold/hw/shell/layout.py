"""How frames sit on the shell's byte-aligned streams and in memory (pure arithmetic).

Every pipeline word travels as one beat of ``ceil(width / 8)`` bytes, little-endian, its upper
padding bits zero (``sf_axis_pad`` / ``sf_axis_unpad``). In memory (the DMA of ``sf_shell_mm``)
frame k lies at ``base + k * stride``: its words back to back, the frame padded with zero bytes
to a whole number of bus words. The same functions pack for the DMA, the virtual board and a
real board, so the layout is written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from streamfold.errors import StreamfoldError
from streamfold.hw.block import NUMPY_BITS, StreamFormat

BUS_BYTES = 4  # the AXI4 master's data bus: 32 bits (Zynq GP/HP ports and interconnects adapt)


class LayoutError(StreamfoldError):
    """Bytes or words that do not fit the shell's frame layout."""


@dataclass(frozen=True)
class Side:
    """One direction of the shell: ``words`` beats of ``word_bytes`` per frame."""

    width: int  # bits of a pipeline word
    words: int  # words per frame
    bus_bytes: int = BUS_BYTES

    @property
    def word_bytes(self) -> int:
        return (self.width + 7) // 8

    @property
    def frame_bytes(self) -> int:
        return self.word_bytes * self.words

    @property
    def beats(self) -> int:
        """Bus words per frame."""
        return -(-self.frame_bytes // self.bus_bytes)

    @property
    def stride(self) -> int:
        """Bytes from one frame to the next in memory."""
        return self.beats * self.bus_bytes


@dataclass(frozen=True)
class ShellLayout:
    inp: Side
    out: Side

    @staticmethod
    def of(stream_in: StreamFormat, stream_out: StreamFormat) -> ShellLayout:
        return ShellLayout(
            Side(stream_in.width, stream_in.words), Side(stream_out.width, stream_out.words)
        )

    def parameters(self) -> tuple[tuple[str, int], ...]:
        """The Verilog parameters of ``sf_shell_mm`` / ``sf_shell_axis``."""
        return (
            ("IN_WIDTH", self.inp.width),
            ("IN_BYTES", self.inp.word_bytes),
            ("IN_WORDS", self.inp.words),
            ("OUT_WIDTH", self.out.width),
            ("OUT_BYTES", self.out.word_bytes),
            ("OUT_WORDS", self.out.words),
        )


def words_to_frames(words: Sequence[int], side: Side) -> bytes:
    """Pipeline words (frames back to back) -> the memory image of those frames."""
    if len(words) % side.words:
        raise LayoutError(
            f"shell layout: word count must be a multiple of {side.words} words per frame, "
            f"not {len(words)}"
        )
    if side.width <= NUMPY_BITS and words:
        return _words_to_frames_np(np.asarray(words, dtype=np.int64), side)
    pad = bytes(side.stride - side.frame_bytes)
    out = bytearray()
    for k in range(0, len(words), side.words):
        for j, w in enumerate(words[k : k + side.words]):
            if not 0 <= w < (1 << side.width):
                raise LayoutError(
                    f"shell layout: word {k + j} must be an unsigned {side.width}-bit int, "
                    f"not {w:#x}"
                )
            out += int(w).to_bytes(side.word_bytes, "little")
        out += pad
    return bytes(out)


def _words_to_frames_np(arr: npt.NDArray[np.int64], side: Side) -> bytes:
    bad = (arr < 0) | ((arr >> side.width) != 0)
    if bad.any():
        j = int(np.argmax(bad))
        raise LayoutError(
            f"shell layout: word {j} must be an unsigned {side.width}-bit int, not {int(arr[j]):#x}"
        )
    frames = len(arr) // side.words
    raw = arr.astype("<u8").view(np.uint8).reshape(frames, side.words, 8)[:, :, : side.word_bytes]
    image = np.zeros((frames, side.stride), dtype=np.uint8)
    image[:, : side.frame_bytes] = raw.reshape(frames, side.frame_bytes)
    return image.tobytes()


def frames_to_words(image: bytes, side: Side, frames: int) -> list[int]:
    """The inverse of ``words_to_frames``: a memory image of ``frames`` frames -> words."""
    if len(image) != frames * side.stride:
        raise LayoutError(
            f"shell layout: image must be {frames} frames x {side.stride} bytes = "
            f"{frames * side.stride} bytes, not {len(image)}"
        )
    if side.width <= NUMPY_BITS and frames:
        return _frames_to_words_np(image, side, frames)
    words: list[int] = []
    wb = side.word_bytes
    for k in range(frames):
        base = k * side.stride
        for j in range(side.words):
            w = int.from_bytes(image[base + j * wb : base + (j + 1) * wb], "little")
            if w >> side.width:
                raise LayoutError(
                    f"shell layout: frame {k} word {j} must have zero padding above bit "
                    f"{side.width - 1}, not {w:#x}"
                )
            words.append(w)
    return words


def _frames_to_words_np(image: bytes, side: Side, frames: int) -> list[int]:
    rows = np.frombuffer(image, dtype=np.uint8).reshape(frames, side.stride)
    raw = rows[:, : side.frame_bytes].reshape(frames * side.words, side.word_bytes)
    padded = np.zeros((len(raw), 8), dtype=np.uint8)
    padded[:, : side.word_bytes] = raw
    words = padded.view("<u8").reshape(-1)
    bad = (words >> np.uint64(side.width)) != 0
    if bad.any():
        j = int(np.argmax(bad))
        raise LayoutError(
            f"shell layout: frame {j // side.words} word {j % side.words} must have zero padding "
            f"above bit {side.width - 1}, not {int(words[j]):#x}"
        )
    return [int(w) for w in words]
