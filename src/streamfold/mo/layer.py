"""One engine layer: the descriptor the engine reads from memory (32 little-endian u32 words)."""

from __future__ import annotations

import enum
import struct
from dataclasses import astuple, dataclass, fields


class Kind(enum.IntEnum):
    """What the engine does in a layer."""

    MVTU = 0  # padded sliding window x weights (+ thresholds or multiply-shift): conv and FC
    MAXPOOL = 1
    SUMPOOL = 2  # global sum over the map
    ACT = 3  # thresholds or multiply-shift alone, per element


class Act(enum.IntEnum):
    """The output stage after the accumulator (MVTU) or on the input (ACT)."""

    NONE = 0
    THRESHOLDS = 1
    MULSHIFT = 2


DESCRIPTOR_WORDS = 32
DESCRIPTOR_BYTES = 4 * DESCRIPTOR_WORDS


@dataclass(frozen=True, slots=True)
class Layer:
    """Every field is one u32 word of the descriptor, in this order. Maps are (C, H, W) with
    H = 1 for 1-D layers; a fully connected layer is a convolution whose kernel is its whole
    input map (a vector is a 1 x 1 map). Pad rows and columns beyond the input are
    ``pad_value``."""

    kind: int
    in_addr: int
    out_addr: int
    w_addr: int  # first weight tile; tiles follow each other every w_tile_bytes
    w_tile_bytes: int
    p_addr: int  # thresholds ([p_rows, p_levels]) or multiply-shift ([p_rows, 3])
    in_c: int
    in_h: int
    in_w: int
    out_c: int
    out_h: int
    out_w: int
    k_h: int
    k_w: int
    s_h: int
    s_w: int
    pad_top: int
    pad_left: int
    pad_value: int  # two's complement in 32 bits
    in_type: int  # engine.type_code
    w_type: int
    out_type: int
    act: int
    p_rows: int  # channels with parameters (0: none), each a row of engine.param_row words
    p_levels: int  # thresholds per row (3 for multiply-shift: multiplier, bias, shift)
    # derived, for the engine's counters (so it needs no multiplier for them)
    in_words: int  # 64-bit words of the input map
    out_words: int
    p_words: int
    folds: int  # k_h * k_w * ceil(in_c / simd): cycles per pixel and PE outputs
    blk_rows: int  # SIMD-element rows of one channel block of the input map
    pix0: int  # -pad_top * in_w - pad_left (two's complement)
    row_step: int  # s_h * in_w

    def words(self) -> bytes:
        values = [v & 0xFFFFFFFF for v in astuple(self)]
        values += [0] * (DESCRIPTOR_WORDS - len(values))
        return struct.pack(f"<{DESCRIPTOR_WORDS}I", *values)

    @staticmethod
    def read(memory: bytes | bytearray, address: int) -> Layer:
        words = struct.unpack_from(f"<{DESCRIPTOR_WORDS}I", memory, address)
        values = list(words[: len(fields(Layer))])
        names = [f.name for f in fields(Layer)]
        for name in ("pad_value", "pix0"):
            i = names.index(name)
            values[i] = values[i] - (1 << 32) if values[i] >> 31 else values[i]
        return Layer(*values)

    @property
    def window(self) -> int:
        """The length of one window vector, k_h * k_w * in_c."""
        return self.k_h * self.k_w * self.in_c
