"""Cycle and resource model of ``sf_fork`` (from its RTL; cycles measured by
tests/hw/test_fork.py, resources calibrated by bench/calibrate.py against Yosys)."""

from __future__ import annotations

from streamfold.cost.devices import Family
from streamfold.cost.resources import combine
from streamfold.hw.block import RtlInstance
from streamfold.synth.resources import Resources


def cycles(inst: RtlInstance) -> int:
    """One word per cycle when both consumers keep up."""
    return inst.stream_in.words


def latency(inst: RtlInstance) -> int:
    """The outputs are registers: one cycle."""
    return 1


def lut_features(inst: RtlInstance) -> dict[str, float]:
    """Ready and valid logic only: the data register loads on every accepted word (its
    enable is the clock enable of the flip-flops, no LUT per bit)."""
    return {"const": 1.0}


def ff_features(inst: RtlInstance) -> dict[str, float]:
    """The shared data register and the two valid bits."""
    return {"const": 1.0, "width": inst.stream_in.width}


def resources(inst: RtlInstance, family: Family) -> Resources:
    return combine("fork", family, lut_features(inst), ff_features(inst), ())
