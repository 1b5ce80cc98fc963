"""Cycle and resource model of ``sf_add`` (from its RTL; cycles measured by
tests/hw/test_fork_join.py; resources: features of the RTL, calibrated by bench/calibrate.py)."""

from __future__ import annotations

from streamfold.cost.devices import Family
from streamfold.cost.resources import combine
from streamfold.hw.add.params import AddParams
from streamfold.hw.block import NodeFolding
from streamfold.synth.resources import Resources


def cycles(params: AddParams, folding: NodeFolding) -> int:
    """One word of each input per cycle."""
    return params.vector // folding.simd


def latency(params: AddParams, folding: NodeFolding) -> int:
    """The output register: one cycle."""
    return 1


def _product_bits(k: int, bits: int) -> int:
    """Adder bits of a constant multiplication: one partial sum per set bit of |k| beyond
    the first (shift-add), each ``bits`` wide."""
    return max(0, bin(abs(k)).count("1") - 1) * bits


def lut_features(params: AddParams, folding: NodeFolding) -> dict[str, float]:
    """Per lane: the output adder and the constant multiplications (shift-add)."""
    w = params.out_dtype.bits
    lanes = folding.simd
    mult = _product_bits(params.k0, w) + _product_bits(params.k1, w)
    return {"const": 1.0, "adder_bits": lanes * w, "product_bits": lanes * mult}


def ff_features(params: AddParams, folding: NodeFolding) -> dict[str, float]:
    """The output register and its valid bit."""
    return {"const": 1.0, "width": folding.simd * params.out_dtype.bits}


def resources(params: AddParams, folding: NodeFolding, family: Family) -> Resources:
    return combine("add", family, lut_features(params, folding), ff_features(params, folding), ())
