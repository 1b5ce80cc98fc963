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


def _csd_digits(k: int) -> int:
    """Nonzero digits of |k| in canonical signed-digit form (7 = 8 - 1: two digits)."""
    k, digits = abs(k), 0
    while k:
        if k & 1:
            digits += 1
            k -= 2 - (k & 3)  # ...01 -> subtract 1; ...11 -> add 1
        k >>= 1
    return digits


# Inputs of at most this many bits make every output bit one LUT6 of them (a table).
LUT_INPUTS = 6


def _product_bits(k: int, in_bits: int, out_bits: int) -> tuple[int, int]:
    """(adder bits, table bits) of a constant multiplication: shift-add/subtract, one adder
    per signed digit of |k| beyond the first, each as wide as the product (at most the
    output); or, for a narrow input, each product bit a LUT of the input bits, whichever is
    fewer (a 2-bit input times 19,897 is 17 LUTs, not 8 adders)."""
    width = min(out_bits, in_bits + abs(k).bit_length())
    adders = max(0, _csd_digits(k) - 1) * width
    if in_bits <= LUT_INPUTS and width < adders:
        return 0, width
    return adders, 0


def lut_features(params: AddParams, folding: NodeFolding) -> dict[str, float]:
    """Per lane: the output adder and the constant multiplications (shift-add); Yosys
    (bench/calibrate.py) showed ``x * 7`` costing one subtraction, hence signed digits. When
    both inputs together are at most six bits and a product is more than a shift, each output
    bit is one LUT of them (a table: ``table_bits``), whatever the constants."""
    w = params.out_dtype.bits
    lanes = folding.simd
    (a0, t0), (a1, t1) = (
        _product_bits(params.k0, params.in0.bits, w),
        _product_bits(params.k1, params.in1.bits, w),
    )
    if params.in0.bits + params.in1.bits <= LUT_INPUTS and a0 + a1 + t0 + t1 > 0:
        return {"const": 1.0, "adder_bits": 0.0, "product_bits": 0.0, "table_bits": lanes * w}
    return {
        "const": 1.0,
        "adder_bits": lanes * w,
        "product_bits": lanes * (a0 + a1),
        "table_bits": lanes * (t0 + t1),
    }


def ff_features(params: AddParams, folding: NodeFolding) -> dict[str, float]:
    """The output register and its valid bit."""
    return {"const": 1.0, "width": folding.simd * params.out_dtype.bits}


def resources(params: AddParams, folding: NodeFolding, family: Family) -> Resources:
    return combine("add", family, lut_features(params, folding), ff_features(params, folding), ())
