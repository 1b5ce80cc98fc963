"""Cycle and resource model of ``sf_concat`` (from its RTL; cycles measured by
tests/hw/test_fork_join.py; resources calibrated by bench/calibrate.py)."""

from __future__ import annotations

from streamfold.cost.devices import Family
from streamfold.cost.resources import combine
from streamfold.hw.block import NodeFolding
from streamfold.hw.concat.params import ConcatParams
from streamfold.synth.resources import Resources


def cycles(params: ConcatParams, folding: NodeFolding) -> int:
    """One output word per cycle."""
    return params.pixels * params.channels // folding.simd


def latency(params: ConcatParams, folding: NodeFolding) -> int:
    return 1


def counter_bits(params: ConcatParams, folding: NodeFolding) -> int:
    return max(1, (params.channels // folding.simd - 1).bit_length())


def lut_features(params: ConcatParams, folding: NodeFolding) -> dict[str, float]:
    """The output word's two-way select per bit, and the word counter."""
    return {
        "const": 1.0,
        "width": folding.simd * params.out_dtype.bits,
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
