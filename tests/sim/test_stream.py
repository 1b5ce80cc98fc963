"""L0: AXI-Stream packing against hand-computed words; Hypothesis round trips; errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamfold.errors import SimulationError
from streamfold.hw.block import StreamFormat
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.sim.stream import pack, unpack

u3, i4, i4n = IntType(3, False), IntType(4, True), IntType(4, True, narrow=True)

HAND = [  # format, frames, words (element i at bits [i*bits +: bits])
    pytest.param(StreamFormat(u3, 2, 4), [[1, 2, 7, 0]], [0b010_001, 0b000_111], id="u3"),
    pytest.param(StreamFormat(i4, 2, 4), [[1, -1, -8, 7]], [0xF1, 0x78], id="i4-twos-complement"),
    pytest.param(StreamFormat(i4, 4, 4), [[1, 2, 3, 4], [-1, 0, 0, 0]], [0x4321, 0x000F],
                 id="two-frames-back-to-back"),
    pytest.param(StreamFormat(BIPOLAR, 3, 6), [[1, -1, 1, -1, -1, 1]], [0b101, 0b100],
                 id="bipolar"),
    pytest.param(StreamFormat(IntType(70, True), 2, 2), [[-1, 5]], [(5 << 70) | (2**70 - 1)],
                 id="elements-wider-than-64-bits"),
    pytest.param(StreamFormat(IntType(8, False), 20, 20), [list(range(20))],
                 [int.from_bytes(bytes(range(20)), "little")], id="160-bit-word"),
]  # fmt: skip


@pytest.mark.parametrize("fmt, frames, words", HAND)
def test_pack_gives_hand_computed_words(fmt, frames, words):
    assert pack(np.array(frames, dtype=object), fmt) == words


@pytest.mark.parametrize("fmt, frames, words", HAND)
def test_unpack_gives_hand_computed_values(fmt, frames, words):
    got = unpack(words, fmt, len(frames))
    assert got.shape == (len(frames), fmt.vector)
    assert got.tolist() == frames


@st.composite
def formats_and_frames(draw):
    bipolar = draw(st.booleans())
    dtype = BIPOLAR if bipolar else IntType(draw(st.integers(1, 80)), draw(st.booleans()))
    elems = draw(st.integers(1, 9))
    fmt = StreamFormat(dtype, elems, elems * draw(st.integers(1, 4)))
    values = st.sampled_from([-1, 1]) if bipolar else st.integers(dtype.min, dtype.max)
    n = draw(st.integers(0, 3))
    frames = draw(st.lists(st.lists(values, min_size=fmt.vector, max_size=fmt.vector),
                           min_size=n, max_size=n))  # fmt: skip
    return fmt, np.array(frames, dtype=object).reshape(n, fmt.vector)


@settings(max_examples=300, deadline=None)
@given(formats_and_frames())
def test_unpack_inverts_pack(case):
    fmt, frames = case
    words = pack(frames, fmt)
    assert len(words) == len(frames) * fmt.words
    assert all(0 <= w < 2**fmt.width for w in words)
    assert unpack(words, fmt, len(frames)).tolist() == frames.tolist()


def test_unpack_returns_int64_for_narrow_elements():
    assert unpack([0x78], StreamFormat(i4, 2, 2), 1).dtype == np.int64


ERRORS = [  # format, frames, message
    (StreamFormat(u3, 2, 4), [[1, 2, 3, 8]], r"value \[0, 3\] must be in 0..7 \(u3\), not 8"),
    (StreamFormat(i4n, 1, 2), [[0, -8]], r"value \[0, 1\] must be in -7..7 \(i4n\), not -8"),
    (StreamFormat(BIPOLAR, 2, 2), [[1, 0]], r"value \[0, 1\] must be -1 or \+1 \(bipolar\), not 0"),
    (StreamFormat(u3, 2, 4), [[1, 2]], r"values shape must be \(frames, 4\), not \(1, 2\)"),
    (StreamFormat(u3, 2, 4), [[1.0, 2, 3, 4]], r"values must be integers, not float64"),
    (StreamFormat(u3, 3, 4), [[1, 2, 3, 4]], r"stream elems must divide vector=4, not 3"),
]


@pytest.mark.parametrize("fmt, frames, message", ERRORS)
def test_pack_names_the_bad_value(fmt, frames, message):
    with pytest.raises(SimulationError, match=f"^pack: {message}$"):
        pack(np.array(frames), fmt)


def test_unpack_checks_word_count_and_width():
    fmt = StreamFormat(u3, 2, 4)
    with pytest.raises(
        SimulationError, match=r"^unpack: word count must be 2 frames x 2 = 4, not 3$"
    ):
        unpack([0, 0, 0], fmt, 2)
    with pytest.raises(
        SimulationError, match=r"^unpack: word 1 must be an unsigned 6-bit int, not 0x40$"
    ):
        unpack([0, 64], fmt, 1)
