"""Cycle model of ``sf_dwc`` (from its RTL; measured by tests/hw/test_dwc.py).

The buffer is sized so the busier side moves one word per cycle (see sf_dwc.v), so a frame takes
as many cycles as the side with more words needs.
"""

from __future__ import annotations

from streamfold.hw.block import RtlInstance


def cycles(inst: RtlInstance) -> int:
    """Initiation interval: ``max(words in, words out)`` per frame."""
    return max(inst.stream_in.words, inst.stream_out.words)


def latency(inst: RtlInstance) -> int:
    """First input word to first output word: enough input words to fill one output word
    (``ceil(out_elems / in_elems)``, one per cycle), at least one cycle for the register."""
    return -(-inst.stream_out.elems // inst.stream_in.elems)
