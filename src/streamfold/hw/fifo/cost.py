"""Cycle and resource model of ``sf_fifo`` (from its RTL; cycles measured by
tests/hw/test_fifo.py, resources calibrated by bench/calibrate.py against Yosys)."""

from __future__ import annotations

from streamfold.cost.devices import Family
from streamfold.cost.resources import MemKind, Memory, combine
from streamfold.hw.block import RtlInstance
from streamfold.synth.resources import Resources


def cycles(inst: RtlInstance) -> int:
    """Initiation interval: one word per cycle, so a frame takes ``words`` cycles."""
    return inst.stream_in.words


def latency(inst: RtlInstance) -> int:
    """First input word to first output word: one cycle (an empty FIFO bypasses its buffer)."""
    return 1


def _geometry(inst: RtlInstance) -> tuple[int, int]:
    """(WIDTH, buffer words DEPTH - 1) of an sf_fifo instance."""
    params = dict(inst.parameters)
    width, depth = params["WIDTH"], params["DEPTH"]
    assert isinstance(width, int) and isinstance(depth, int)
    return width, depth - 1


def _pointer_bits(words: int) -> int:
    """wr_ptr + rd_ptr + count; a one-word buffer's pointers are constant 0 and vanish."""
    ptr = (words - 1).bit_length() if words > 1 else 0
    return 2 * ptr + words.bit_length()


# A buffer whose pointers wrap early within one ECP5 LUT-RAM primitive's depth (TRELLIS_DPR16X4,
# 16 words): synth_ecp5 builds its read with per-word muxing (PFUMX / L6MUX21), 5 LUT4 per bit
# at 7 words and 9 at 15 (bench/calibrate.py's FIFO grid at depths 8, 10 and 16)
SHALLOW_WORDS = 16


def lut_features(inst: RtlInstance) -> dict[str, float]:
    """Output-register input mux (one LUT per bit), the pointer/count logic, and per bit the
    read path of a buffer whose pointers wrap early (not a power of two: on ECP5 the read
    mux and wrap compare do not share LUT4s); within SHALLOW_WORDS per bit and word."""
    width, words = _geometry(inst)
    wraps = words > 1 and words & (words - 1) != 0
    shallow = wraps and words <= SHALLOW_WORDS
    return {
        "const": 1.0,
        "width": width,
        "pointer_bits": _pointer_bits(words),
        "wrapping_width": width if wraps and not shallow else 0,
        "shallow_wrapping_bits": width * words if shallow else 0,
    }


def ff_features(inst: RtlInstance) -> dict[str, float]:
    """Output register + tvalid, pointers and count."""
    width, words = _geometry(inst)
    return {"const": 1.0, "width": width, "pointer_bits": _pointer_bits(words)}


def memories(inst: RtlInstance) -> tuple[Memory, ...]:
    """The buffer: DEPTH - 1 words of LUT RAM (one word: read and write share address 0)."""
    width, words = _geometry(inst)
    return (Memory(words, width, MemKind.LUTRAM, shared_address=words == 1),)


def resources(inst: RtlInstance, family: Family) -> Resources:
    return combine("fifo", family, lut_features(inst), ff_features(inst), memories(inst))
