"""Cycle and resource model of ``sf_dwc`` (from its RTL; cycles measured by
tests/hw/test_dwc.py, resources calibrated by bench/calibrate.py against Yosys).

The buffer is sized so the busier side moves one word per cycle (see sf_dwc.v), so a frame takes
as many cycles as the side with more words needs.
"""

from __future__ import annotations

from streamfold.cost.devices import Family
from streamfold.cost.resources import Memory, combine
from streamfold.hw.block import RtlInstance
from streamfold.synth.resources import Resources


def cycles(inst: RtlInstance) -> int:
    """Initiation interval: ``max(words in, words out)`` per frame."""
    return max(inst.stream_in.words, inst.stream_out.words)


def latency(inst: RtlInstance) -> int:
    """First input word to first output word: enough input words to fill one output word
    (``ceil(out_elems / in_elems)``, one per cycle), at least one cycle for the register."""
    return -(-inst.stream_out.elems // inst.stream_in.elems)


def _geometry(inst: RtlInstance) -> tuple[int, int, int, int]:
    """(ELEM_BITS, IN_ELEMS, OUT_ELEMS, BUF elements) of an sf_dwc instance."""
    bits, n_in, n_out = inst.stream_in.dtype.bits, inst.stream_in.elems, inst.stream_out.elems
    return bits, n_in, n_out, 2 * n_in + n_out - 1


def mux_inputs(n_in: int, n_out: int, buf: int) -> int:
    """Data inputs of the buffer's next-state muxes, summed over its elements.

    Element k keeps its value, takes element k + OUT_ELEMS (an output word left), or takes
    input element j when the incoming word lands at k - j, which sf_dwc.v allows for
    0 <= k - j <= BUF - IN_ELEMS.
    """
    total = 0
    for k in range(buf):
        landing = sum(1 for j in range(n_in) if 0 <= k - j <= buf - n_in)
        total += landing + 1 + (k + n_out < buf)
    return total


def lut_features(inst: RtlInstance) -> dict[str, float]:
    """Next-state muxes of the buffer (per bit), landing-position decode, count logic."""
    bits, n_in, n_out, buf = _geometry(inst)
    return {
        "const": 1.0,
        "mux_input_bits": bits * mux_inputs(n_in, n_out, buf),
        "buffer_bits": bits * buf,
        "positions": buf - n_in + 1,
    }


def ff_features(inst: RtlInstance) -> dict[str, float]:
    """The element buffer and the element count."""
    bits, _, _, buf = _geometry(inst)
    return {"const": 1.0, "buffer_bits": bits * buf, "count_bits": buf.bit_length()}


def memories(inst: RtlInstance) -> tuple[Memory, ...]:
    """None: the buffer is flip-flops (it shifts every element at once)."""
    return ()


def resources(inst: RtlInstance, family: Family) -> Resources:
    return combine("dwc", family, lut_features(inst), ff_features(inst), memories(inst))
