"""Cycle and resource model of ``sf_concat`` (from its RTL; cycles measured by
tests/hw/test_fork_join.py; resources calibrated by bench/calibrate.py)."""

from __future__ import annotations

from streamfold.cost.devices import Family
from streamfold.cost.resources import combine
from streamfold.hw.block import NodeFolding
from streamfold.hw.concat.params import ConcatParams
from streamfold.ir.dtypes import IntType
from streamfold.synth.resources import Resources


def cycles(params: ConcatParams, folding: NodeFolding) -> int:
    """One output word per cycle."""
    return params.pixels * params.channels // folding.simd


def latency(params: ConcatParams, folding: NodeFolding) -> int:
    return 1


def counter_bits(params: ConcatParams, folding: NodeFolding) -> int:
    return max(1, (params.channels // folding.simd - 1).bit_length())


def _live_bits(dtype: IntType, out_bits: int) -> int:
    """Output bits an input drives with a data bit: its own bits when zero-extended, every
    bit when sign-extended or bipolar."""
    if dtype.signed or dtype.bipolar:
        return out_bits
    return dtype.bits


def mux_bits(params: ConcatParams, folding: NodeFolding) -> int:
    """Output bits that select between the two inputs; a bit only one input drives is that
    input's bit or 0, which Yosys maps to the flip-flop's synchronous reset (no LUT)."""
    w = params.out_dtype.bits
    live = min(_live_bits(params.in0, w), _live_bits(params.in1, w))
    return folding.simd * live


def lut_features(params: ConcatParams, folding: NodeFolding) -> dict[str, float]:
    """The output word's two-way select per bit both inputs drive, and the word counter."""
    return {
        "const": 1.0,
        "width": mux_bits(params, folding),
        "counter_bits": counter_bits(params, folding),
    }


def ff_features(params: ConcatParams, folding: NodeFolding) -> dict[str, float]:
    return {
        "const": 1.0,
        "width": folding.simd * params.out_dtype.bits,
        "counter_bits": counter_bits(params, folding),
    }


def resources(params: ConcatParams, folding: NodeFolding, family: Family) -> Resources:
    return combine(
        "concat", family, lut_features(params, folding), ff_features(params, folding), ()
    )
