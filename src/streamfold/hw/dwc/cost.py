"""Cycle and resource model of ``sf_dwc`` (from its RTL; cycles measured by
tests/hw/test_dwc.py, resources calibrated by bench/calibrate.py against Yosys).

Each of its three structures (``structure``) moves one word per cycle on the busier side (see
sf_dwc.v), so a frame takes as many cycles as the side with more words needs.
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


def structure(inst: RtlInstance) -> str:
    """Which of sf_dwc.v's three structures an instance builds: "up" (the output word a
    multiple of the input word), "down" (the converse) or "any"."""
    n_in, n_out = inst.stream_in.elems, inst.stream_out.elems
    if n_out > n_in and n_out % n_in == 0:
        return "up"
    if n_in > n_out and n_in % n_out == 0:
        return "down"
    return "any"


def _geometry(inst: RtlInstance) -> tuple[int, int, int, int]:
    """(ELEM_BITS, IN_ELEMS, OUT_ELEMS, BUF elements of the "any" structure)."""
    bits, n_in, n_out = inst.stream_in.dtype.bits, inst.stream_in.elems, inst.stream_out.elems
    return bits, n_in, n_out, 2 * n_in + n_out - 1


def mux_inputs(n_in: int, n_out: int, buf: int) -> int:
    """Data inputs of the "any" buffer's next-state muxes, summed over its elements.

    Element k keeps its value, takes element k + OUT_ELEMS (an output word left), or takes
    input element j when the incoming word lands at k - j, which sf_dwc.v allows for
    0 <= k - j <= BUF - IN_ELEMS.
    """
    total = 0
    for k in range(buf):
        landing = sum(1 for j in range(n_in) if 0 <= k - j <= buf - n_in)
        total += landing + 1 + (k + n_out < buf)
    return total


def registers(inst: RtlInstance) -> int:
    """Flip-flops of the "up" and "down" structures, from sf_dwc.v: up: the accumulator
    (K - 1 input words), the output word, the word count (clog2 K bits) and the valid flag;
    down: the shift register and the next word (two input words), the count of output words
    left (clog2(K + 1) bits) and the next word's valid flag."""
    bits, n_in, n_out, _ = _geometry(inst)
    if structure(inst) == "up":
        k = n_out // n_in
        return (n_out - n_in) * bits + n_out * bits + max(1, (k - 1).bit_length()) + 1
    k = n_in // n_out
    return 2 * n_in * bits + k.bit_length() + 1


def lut_features(inst: RtlInstance) -> dict[str, float]:
    """up: no data muxes (clock enables), the word count and its compare; down: a 3-way load
    (shift, next word, input) per bit of the shift register, the count; any: next-state muxes
    of the buffer (per bit), landing-position decode, count logic."""
    bits, n_in, n_out, buf = _geometry(inst)
    kind = structure(inst)
    if kind == "up":
        return {"up_const": 1.0, "up_count_bits": max(1, (n_out // n_in - 1).bit_length())}
    if kind == "down":
        return {
            "down_const": 1.0,
            "down_three_way_bits": (n_in - n_out) * bits,  # shift, next word or input
            "down_two_way_bits": n_out * bits,  # the top word: next word or input
            "down_count_bits": (n_in // n_out).bit_length(),
        }
    return {
        "const": 1.0,
        "mux_input_bits": bits * mux_inputs(n_in, n_out, buf),
        "buffer_bits": bits * buf,
        "positions": buf - n_in + 1,
    }


def ff_features(inst: RtlInstance) -> dict[str, float]:
    """up, down: their registers, counted; any: the element buffer and the element count."""
    bits, _, _, buf = _geometry(inst)
    if structure(inst) != "any":
        return {"counted": float(registers(inst))}
    return {"const": 1.0, "buffer_bits": bits * buf, "count_bits": buf.bit_length()}


def memories(inst: RtlInstance) -> tuple[Memory, ...]:
    """None: the buffer is flip-flops (it shifts every element at once)."""
    return ()


def resources(inst: RtlInstance, family: Family) -> Resources:
    return combine("dwc", family, lut_features(inst), ff_features(inst), memories(inst))
