"""Memory images ($readmemh) and the weight-dot-product range: the vectorised paths equal the
word-by-word Python-integer definitions."""

from __future__ import annotations

import numpy as np
import pytest

from streamfold.hw.thresholding.image import hex_image
from streamfold.ir.intervals import dot_interval


def _image_by_words(elements: np.ndarray, bits: int) -> str:
    """The definition: element i at bits [i*bits +: bits] of word w, two's complement."""
    digits = (elements.shape[1] * bits + 3) // 4
    words = []
    for row in elements.tolist():
        word = sum((int(v) & ((1 << bits) - 1)) << (i * bits) for i, v in enumerate(row))
        words.append(f"{word:0{digits}x}\n")
    return "".join(words)


@pytest.mark.parametrize("bits", [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 24, 31, 32, 33, 48, 63, 70])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (17, 9), (40, 33), (2, 128)])
def test_hex_image_equals_the_word_definition(bits: int, shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(bits * 1000 + shape[1])
    if bits > 63:  # beyond int64: Python integers
        values = [int(v) << (bits - 40) for v in rng.integers(-(1 << 39), 1 << 39, shape).flat]
        elements = np.array(values, dtype=object).reshape(shape)
    elif bits == 1:
        elements = rng.integers(0, 2, shape)
    else:
        signed = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), shape)
        unsigned = rng.integers(0, 1 << bits, shape, dtype=np.uint64).astype(np.int64)
        elements = np.where(rng.integers(0, 2, shape) == 1, signed, unsigned)
    assert hex_image(elements, bits) == _image_by_words(elements, bits)


def test_hex_image_of_no_words_is_empty() -> None:
    assert hex_image(np.zeros((0, 4), dtype=np.int64), 3) == ""


@pytest.mark.parametrize("seed", range(20))
def test_dot_interval_equals_python_integers(seed: int) -> None:
    rng = np.random.default_rng(seed)
    big = seed % 2 == 1  # sums beyond int64: must stay exact
    scale = 1 << 40 if big else 1
    w = rng.integers(-200, 200, (int(rng.integers(1, 6)), int(rng.integers(1, 40)))) * scale
    lo_x, hi_x = sorted(int(v) * scale for v in rng.integers(-300, 300, 2))
    rows = [[int(v) for v in row] for row in w.tolist()]
    lo = min(sum(min(v * lo_x, v * hi_x) for v in row) for row in rows)
    hi = max(sum(max(v * lo_x, v * hi_x) for v in row) for row in rows)
    assert dot_interval(w, lo_x, hi_x) == (lo, hi)
