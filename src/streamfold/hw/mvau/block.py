"""MVAU: the Block record of the matrix-vector-activation unit."""

from __future__ import annotations

from typing import Any

import numpy as np

from streamfold.hw.block import Block, NodeFolding
from streamfold.hw.mvau import cost
from streamfold.hw.mvau.model import mvau
from streamfold.hw.mvau.params import MvauParams, check_folding, foldings, params_of
from streamfold.hw.mvau.rtl import instance
from streamfold.ir.ops import Mvau


def needed(params: MvauParams, folding: NodeFolding) -> int:
    """The first output row needs every input word of the first pixel's vector (of the first
    word's pixels: with mmv > 1 a word holds whole vectors)."""
    return params.in_features // folding.simd


def needs(params: MvauParams, folding: NodeFolding) -> Any:
    """Output word j (pixel j // NF) needs its pixel's whole input vector: the vector is read
    while the first neuron fold computes, so every pixel waits for its own last input word
    (the linear default would let a later pixel start on part of its vector)."""
    nf, sf = params.out_features // folding.pe, params.in_features // folding.simd
    words = params.pixels // folding.mmv * nf
    return (np.arange(words, dtype=np.int64) // nf + 1) * sf - 1


def out_elems(params: MvauParams, folding: NodeFolding) -> int:
    """One output per PE lane, of each of the word's mmv pixels."""
    return folding.pe * folding.mmv


MVAU: Block[MvauParams] = Block(
    op_type=Mvau,
    params=params_of,
    foldings=foldings,
    check_folding=check_folding,
    model=mvau,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
    needed=needed,
    needs=needs,
    out_elems=out_elems,
    paced=True,
    multi_pixel=True,
)
