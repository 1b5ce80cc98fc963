"""Cycle and resource model of sf_depthtospace.v (cycles measured by
tests/hw/test_depthtospace.py).

Every input word is read once, and the writer fills one bank while the reader empties the
other, so in steady state both move one word per cycle: a frame takes its words (input and
output words are equal). The reader starts on a row as soon as the words it needs are written.
"""

from __future__ import annotations

from streamfold.cost.devices import Family
from streamfold.cost.resources import Memory, combine
from streamfold.hw.block import NodeFolding, bits_for
from streamfold.hw.depthtospace.params import DepthToSpaceParams
from streamfold.hw.upsample.cost import (
    FIFO_CONTROL_BITS,
    LATENCY,
    buffer_ff_features,
    buffer_lut_features,
    buffer_own_memories,
)
from streamfold.synth.resources import Resources


def words(params: DepthToSpaceParams, folding: NodeFolding) -> int:
    """Words per frame, in and out."""
    return params.in_vector // folding.simd


def row_words(params: DepthToSpaceParams, folding: NodeFolding) -> int:
    """N: words of one input row, one bank of the buffer."""
    return params.in_dims[1] * params.in_channels // folding.simd


def cycles(params: DepthToSpaceParams, folding: NodeFolding) -> int:
    """Initiation interval: one word per cycle."""
    return words(params, folding)


def latency(params: DepthToSpaceParams, folding: NodeFolding) -> int:
    """First input handshake to first output handshake (no stalls): the first output word is
    the first input word, then the write, read and FIFO registers (as hw.upsample.cost)."""
    return LATENCY


# ------------------------------------------------------------------------------- resources
def _shape(params: DepthToSpaceParams, folding: NodeFolding) -> tuple[int, int, int, int]:
    """(buffer depth, word bits, address bits, counter bits) of sf_depthtospace.v."""
    depth = 2 * row_words(params, folding)
    b, w = params.block_size, params.in_dims[1]
    counters = sum(bits_for(n) for n in (params.channels // folding.simd, b, w, b))
    return depth, folding.simd * params.dtype.bits, bits_for(depth), counters


def lut_features(
    params: DepthToSpaceParams, folding: NodeFolding, family: Family
) -> dict[str, float]:
    """Slot arithmetic (wptr, wcnt, roff, pbase, ibase, the next-slot mux, the bank adder and
    the comparison), counters, read path."""
    depth, width, slot, counters = _shape(params, folding)
    out: dict[str, float] = {"const": 1.0, "slot_bits": slot, "counter_bits": counters}
    return out | buffer_lut_features(depth, width, folding.mem_style, family)


def ff_features(
    params: DepthToSpaceParams, folding: NodeFolding, family: Family
) -> dict[str, float]:
    """Control registers (slots, counters, lead, bank, FIFO state) and data registers."""
    depth, width, slot, counters = _shape(params, folding)
    control = 5 * slot + counters + 3 + FIFO_CONTROL_BITS
    out: dict[str, float] = {"const": 1.0, "control_bits": control}
    return out | buffer_ff_features(depth, width, folding.mem_style)


def memories(params: DepthToSpaceParams, folding: NodeFolding) -> tuple[Memory, ...]:
    depth, width, _, _ = _shape(params, folding)
    return buffer_own_memories(depth, width, folding.mem_style)


def resources(params: DepthToSpaceParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF/LUTRAM/BRAM/DSP of sf_depthtospace for ``family`` (calibrated; see
    cost.resources)."""
    return combine(
        "depthtospace",
        family,
        lut_features(params, folding, family),
        ff_features(params, folding, family),
        memories(params, folding),
    )
