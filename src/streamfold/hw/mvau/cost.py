"""Cycle cost of sf_mvau.v. Resources come with synthesis calibration (a later issue)."""

from __future__ import annotations

from streamfold.hw.block import NodeFolding
from streamfold.hw.mvau.params import MvauParams

# Registers between issuing a step and offering its output word, from sf_mvau.v's pipeline:
# operands (memory read / input buffer) 1, products 1, adder tree clog2(SIMD), accumulator 1,
# output register (thresholds compared) 1, output FIFO write 1. The first output word
# completes with the last step of neuron fold 0, which issues SF - 1 cycles after the first.
OPERAND_CYCLES = 1
PRODUCT_CYCLES = 1
ACCUMULATE_CYCLES = 1
OUTPUT_CYCLES = 1
FIFO_CYCLES = 1


def cycles(params: MvauParams, folding: NodeFolding) -> int:
    """Initiation interval: one (neuron fold, synapse fold) step per cycle, back to back."""
    return (params.out_features // folding.pe) * (params.in_features // folding.simd)


def tree_levels(simd: int) -> int:
    """Registered adder-tree levels over SIMD lanes: ceil(log2(SIMD))."""
    return (simd - 1).bit_length()


def latency(params: MvauParams, folding: NodeFolding) -> int:
    """Cycles from the first input handshake to the first output handshake (no stalls)."""
    synapse_folds = params.in_features // folding.simd
    pipeline = (
        OPERAND_CYCLES
        + PRODUCT_CYCLES
        + tree_levels(folding.simd)
        + ACCUMULATE_CYCLES
        + OUTPUT_CYCLES
        + FIFO_CYCLES
    )
    return synapse_folds - 1 + pipeline
