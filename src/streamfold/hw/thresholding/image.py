"""Memory images ($readmemh) for weights and thresholds, and the hardware threshold format.

An image is one word per line in hexadecimal, word 0 first; element i of a word sits at bits
``[i*bits +: bits]`` as the two's-complement bits of its value (the stream convention).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.hw.block import NUMPY_BITS, word_bytes
from streamfold.ir.dtypes import IntType, narrowest


def hex_image(elements: npt.NDArray[Any], bits: int) -> str:
    """``elements[word, i]`` (integers fitting ``bits`` as two's complement) -> image text."""
    digits = (elements.shape[1] * bits + 3) // 4
    if elements.size == 0 or bits > NUMPY_BITS:
        return _hex_image_slow(elements, bits, digits)
    try:
        values = np.asarray(elements, dtype=np.int64)
    except OverflowError:  # a Python int beyond 64 bits: only the exact slow path takes it
        return _hex_image_slow(elements, bits, digits)
    # each word's little-endian bytes (the stream's packing), printed from the most
    # significant byte, less a leading nibble beyond the word's digits
    packed = word_bytes(values & ((1 << bits) - 1), bits)
    drop = packed.shape[1] * 2 - digits
    pairs = _HEX_PAIRS[packed[:, ::-1]].reshape(values.shape[0], -1)[:, drop:]
    text = np.concatenate([pairs, np.full((values.shape[0], 1), ord("\n"), np.uint8)], axis=1)
    return text.tobytes().decode("ascii")


_HEX_PAIRS = np.array([[ord(c) for c in f"{b:02x}"] for b in range(256)], dtype=np.uint8)


def _hex_image_slow(elements: npt.NDArray[Any], bits: int, digits: int) -> str:
    mask = (1 << bits) - 1
    lines = []
    for row in elements:
        word = 0
        for value in reversed(row.tolist()):
            word = (word << bits) | (int(value) & mask)
        lines.append(f"{word:0{digits}x}\n")
    return "".join(lines)


def threshold_dtype(lo: int, hi: int) -> IntType:
    """The signed type thresholds are stored in when compared values lie in [lo, hi].

    Thresholds at or below ``lo`` always hold and above ``hi`` never do, so clamping them to
    [lo, hi + 1] (see ``clamp_thresholds``) keeps every comparison and bounds the width.
    """
    return narrowest(min(lo, -1), hi + 1)


def clamp_thresholds(thresholds: npt.NDArray[Any], lo: int, hi: int) -> npt.NDArray[np.int64]:
    clamped: npt.NDArray[np.int64] = np.clip(thresholds.astype(object), lo, hi + 1).astype(np.int64)
    return clamped


def threshold_image(
    thresholds: npt.NDArray[Any], channels: int, pe: int, lo: int, hi: int
) -> tuple[IntType, str]:
    """The threshold format and the image of ``thresholds`` [channels or 1, n].

    Word j holds, at element p * n + k, threshold k of channel j * pe + p.
    """
    t_dtype = threshold_dtype(lo, hi)
    full = np.broadcast_to(clamp_thresholds(thresholds, lo, hi), (channels, thresholds.shape[1]))
    words = full.reshape(channels // pe, pe * thresholds.shape[1])
    return t_dtype, hex_image(words, t_dtype.bits)
