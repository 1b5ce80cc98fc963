"""Cycle model of ``sf_fifo`` (from its RTL; measured by tests/hw/test_fifo.py)."""

from __future__ import annotations

from streamfold.hw.block import RtlInstance


def cycles(inst: RtlInstance) -> int:
    """Initiation interval: one word per cycle, so a frame takes ``words`` cycles."""
    return inst.stream_in.words


def latency(inst: RtlInstance) -> int:
    """First input word to first output word: one cycle (an empty FIFO bypasses its buffer)."""
    return 1
