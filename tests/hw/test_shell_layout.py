"""L0: the shell's frame layout (byte-padded words, frames padded to whole bus words)."""

from __future__ import annotations

import numpy as np
import pytest

from streamfold.hw.block import StreamFormat
from streamfold.hw.shell.layout import (
    LayoutError,
    ShellLayout,
    Side,
    frames_to_words,
    words_to_frames,
)
from streamfold.ir.dtypes import IntType


def test_ten_bit_words_in_two_bytes_and_frames_padded_to_bus_words() -> None:
    side = Side(width=10, words=3)
    assert (side.word_bytes, side.frame_bytes, side.beats, side.stride) == (2, 6, 2, 8)
    image = words_to_frames([0x3FF, 0x001, 0x2AA, 0x100, 0x0, 0x155], side)
    assert image == bytes.fromhex("ff03 0100 aa02 00000001 0000 5501 0000")
    assert frames_to_words(image, side, 2) == [0x3FF, 0x001, 0x2AA, 0x100, 0x0, 0x155]


def test_layout_of_stream_formats_gives_the_shell_parameters() -> None:
    fmt_in = StreamFormat(IntType(5, False), 35, 35)  # one 175-bit word per frame
    fmt_out = StreamFormat(IntType(6, True), 1, 7)
    layout = ShellLayout.of(fmt_in, fmt_out)
    assert layout.inp.word_bytes == 22 and layout.inp.stride == 24
    assert layout.out.frame_bytes == 7 and layout.out.stride == 8
    assert dict(layout.parameters()) == {
        "IN_WIDTH": 175,
        "IN_BYTES": 22,
        "IN_WORDS": 1,
        "OUT_WIDTH": 6,
        "OUT_BYTES": 1,
        "OUT_WORDS": 7,
    }


def test_partial_frame_is_refused() -> None:
    with pytest.raises(LayoutError, match=r"^shell layout: word count must be a multiple of 3 "):
        words_to_frames([1, 2], Side(8, 3))


def test_word_too_wide_is_refused() -> None:
    with pytest.raises(
        LayoutError, match=r"^shell layout: word 1 must be an unsigned 7-bit int, not 0x80$"
    ):
        words_to_frames([1, 0x80], Side(7, 2))


def test_image_of_wrong_size_is_refused() -> None:
    with pytest.raises(
        LayoutError, match=r"^shell layout: image must be 2 frames x 4 bytes = 8 bytes, not 7$"
    ):
        frames_to_words(bytes(7), Side(8, 3), 2)


def test_nonzero_padding_is_refused() -> None:
    with pytest.raises(
        LayoutError,
        match=r"^shell layout: frame 0 word 1 must have zero padding above bit 9, not 0x400$",
    ):
        frames_to_words(bytes.fromhex("0100 0004"), Side(10, 2), 1)


@pytest.mark.parametrize("width, words", [(5, 35), (10, 3), (42, 1), (62, 2), (63, 2), (175, 1)])
def test_vectorised_and_wide_paths_round_trip(width: int, words: int) -> None:
    rng = np.random.default_rng(width)
    side = Side(width, words)
    values = [int.from_bytes(rng.bytes(32), "little") % (1 << width) for _ in range(4 * words)]
    image = words_to_frames(values, side)
    assert len(image) == 4 * side.stride
    assert frames_to_words(image, side, 4) == values
    pad = bytes(side.stride - side.frame_bytes)
    naive = b"".join(  # each word little-endian in word_bytes, each frame padded to stride
        b"".join(v.to_bytes(side.word_bytes, "little") for v in values[f * words : (f + 1) * words])
        + pad
        for f in range(4)
    )
    assert image == naive


def test_negative_word_is_refused() -> None:
    with pytest.raises(
        LayoutError, match=r"^shell layout: word 0 must be an unsigned 7-bit int, not -0x1$"
    ):
        words_to_frames([-1, 2], Side(7, 2))
