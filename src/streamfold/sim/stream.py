"""Pack integer frames into AXI-Stream words and back (the conventions of ``hw.block``).

A value of shape ``[C, *spatial]`` (channels first, as in the IR) is streamed channels-last:
pixels in row-major order, channels fastest (``to_stream_order`` / ``from_stream_order``).
A frame of ``fmt.vector`` elements is ``fmt.words`` consecutive words; element i of a word sits
at bits ``[i*bits +: bits]``; signed elements are two's complement; bipolar elements are one bit,
1 = +1 and 0 = -1. Frames go back to back. Words are Python ints of any width.

Both directions go through a little-endian bit matrix (``np.packbits``), so one vectorised path
serves every word width; elements wider than 62 bits fall back to Python ints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.errors import SimulationError
from streamfold.hw.block import NUMPY_BITS, StreamFormat, word_bytes
from streamfold.ir.dtypes import IntType


def pack(values: npt.ArrayLike, fmt: StreamFormat) -> list[int]:
    """Frames ``(frames, fmt.vector)`` of integers -> AXI-Stream words, frames back to back."""
    _check_format("pack", fmt)
    arr = np.asarray(values)
    if arr.ndim != 2 or arr.shape[1] != fmt.vector:
        raise SimulationError(
            f"pack: values shape must be (frames, {fmt.vector}), not {tuple(arr.shape)}"
        )
    _check_integers(arr)
    _check_range(arr, fmt.dtype)
    codes = _encode(arr, fmt.dtype).reshape(-1, fmt.elems)
    return _codes_to_words(codes, fmt.dtype.bits)


def unpack(words: Sequence[int], fmt: StreamFormat, frames: int) -> npt.NDArray[Any]:
    """The inverse of ``pack``: words -> ``(frames, fmt.vector)`` int64 (object past 62 bits)."""
    _check_format("unpack", fmt)
    if len(words) != frames * fmt.words:
        raise SimulationError(
            f"unpack: word count must be {frames} frames x {fmt.words} = "
            f"{frames * fmt.words}, not {len(words)}"
        )
    for j, w in enumerate(words):
        if not 0 <= w < (1 << fmt.width):
            raise SimulationError(
                f"unpack: word {j} must be an unsigned {fmt.width}-bit int, not {w:#x}"
            )
    codes = _words_to_codes(words, fmt.width, fmt.dtype.bits)
    return _decode(codes, fmt.dtype).reshape(frames, fmt.vector)


def to_stream_order(values: npt.ArrayLike, shape: Sequence[int]) -> npt.NDArray[Any]:
    """Frames of IR values of ``shape`` (``(frames, *shape)`` or flattened channels-first)
    -> ``(frames, elements)`` in stream order (channels-last)."""
    arr = np.asarray(values)
    n = arr.shape[0] if arr.ndim else 0
    size = int(np.prod(shape))
    if arr.ndim < 1 or arr.size != n * size:
        raise SimulationError(
            f"stream: frames must be (frames, {', '.join(map(str, shape))}), not {arr.shape}"
        )
    frames = arr.reshape(n, *shape)
    if len(shape) > 1:
        frames = np.moveaxis(frames, 1, -1)
    return frames.reshape(n, size)


def from_stream_order(values: npt.ArrayLike, shape: Sequence[int]) -> npt.NDArray[Any]:
    """Inverse of ``to_stream_order``: ``(frames, elements)`` in stream order -> frames of
    ``shape`` flattened channels-first ``(frames, elements)``."""
    arr = np.asarray(values)
    n = arr.shape[0]
    if len(shape) == 1:
        return arr.reshape(n, -1)
    channels_last = arr.reshape(n, *shape[1:], shape[0])
    return np.moveaxis(channels_last, -1, 1).reshape(n, -1)


def _check_format(where: str, fmt: StreamFormat) -> None:
    if fmt.elems < 1 or fmt.vector % fmt.elems != 0:
        raise SimulationError(
            f"{where}: stream elems must divide vector={fmt.vector}, not {fmt.elems}"
        )


def _check_integers(arr: npt.NDArray[Any]) -> None:
    if arr.dtype.kind in "iu":
        return
    if arr.dtype.kind == "O" and all(isinstance(v, int | np.integer) for v in arr.flat):
        return
    raise SimulationError(f"pack: values must be integers, not {arr.dtype}")


def _check_range(arr: npt.NDArray[Any], dtype: IntType) -> None:
    if dtype.bipolar:
        bad = (arr != 1) & (arr != -1)
        expected = "-1 or +1"
    else:
        bad = (arr < dtype.min) | (arr > dtype.max)
        expected = f"in {dtype.min}..{dtype.max}"
    if np.any(bad):
        frame, elem = (int(i) for i in np.argwhere(bad)[0])
        raise SimulationError(
            f"pack: value [{frame}, {elem}] must be {expected} ({dtype}), not {arr[frame, elem]}"
        )


def _encode(arr: npt.NDArray[Any], dtype: IntType) -> npt.NDArray[Any]:
    """Values -> unsigned codes of ``dtype.bits`` bits (int64, or object past 62 bits)."""
    if dtype.bipolar:
        return (arr.astype(np.int64) + 1) // 2
    if dtype.bits <= NUMPY_BITS:
        return arr.astype(np.int64) & ((1 << dtype.bits) - 1)
    mask = (1 << dtype.bits) - 1
    return np.array([int(v) & mask for v in arr.flat], dtype=object).reshape(arr.shape)


def _decode(codes: npt.NDArray[Any], dtype: IntType) -> npt.NDArray[Any]:
    if dtype.bipolar:
        return 2 * codes - 1
    if dtype.signed:
        half = 1 << (dtype.bits - 1)
        return (codes ^ half) - half  # sign-extend: flip the sign bit, then subtract it
    return codes


def _codes_to_words(codes: npt.NDArray[Any], bits: int) -> list[int]:
    """``codes[word, i]`` -> one int per word with code i at bits ``[i*bits +: bits]``."""
    if bits > NUMPY_BITS or len(codes) == 0:
        return [sum(int(c) << (i * bits) for i, c in enumerate(row)) for row in codes]
    return [int.from_bytes(row.tobytes(), "little") for row in word_bytes(codes, bits)]


def _words_to_codes(words: Sequence[int], width: int, bits: int) -> npt.NDArray[Any]:
    """Words of ``width`` bits -> ``codes[word, i]`` of ``bits`` bits each."""
    elems = width // bits
    if bits > NUMPY_BITS:
        mask = (1 << bits) - 1
        rows = [[(int(w) >> (i * bits)) & mask for i in range(elems)] for w in words]
        return np.array(rows, dtype=object).reshape(len(words), elems)
    nbytes = (width + 7) // 8
    raw = b"".join(int(w).to_bytes(nbytes, "little") for w in words)
    byte_rows = np.frombuffer(raw, dtype=np.uint8).reshape(len(words), nbytes)
    if bits % 8 == 0:  # byte-aligned elements: cut the word bytes into codes
        code_bytes = byte_rows.reshape(-1, bits // 8)
    else:
        bitmat = np.unpackbits(byte_rows, axis=1, count=width, bitorder="little")
        code_bytes = np.packbits(bitmat.reshape(-1, bits), axis=1, bitorder="little")
    padded = np.zeros((len(code_bytes), 8), dtype=np.uint8)
    padded[:, : code_bytes.shape[1]] = code_bytes
    codes: npt.NDArray[np.int64] = padded.view("<u8").reshape(len(words), elems).astype(np.int64)
    return codes
