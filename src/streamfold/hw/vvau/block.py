"""VVAU: the Block record of the vector-vector-activation unit (Vvau nodes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from streamfold.hw.block import Block, NodeFolding
from streamfold.hw.vvau import cost
from streamfold.hw.vvau.model import vvau
from streamfold.hw.vvau.params import VvauParams, check_folding, foldings, params_of
from streamfold.hw.vvau.rtl import instance
from streamfold.ir.ops import Vvau


def needed(params: VvauParams, folding: NodeFolding) -> int:
    """The first output word needs the first pixel's words up to its last kernel fold's first
    channel fold."""
    nf, sf = params.channels // folding.pe, params.kernel // folding.simd
    return (sf - 1) * nf + 1


def needs(params: VvauParams, folding: NodeFolding) -> Any:
    """Output word (pixel p, channel fold g) needs its pixel's last kernel fold for channel
    fold g: input word p * NF * SF + (SF - 1) * NF + g (kernel folds outer, channel folds
    inner)."""
    nf, sf = params.channels // folding.pe, params.kernel // folding.simd
    j = np.arange(params.pixels // folding.mmv * nf, dtype=np.int64)
    return (j // nf) * nf * sf + (sf - 1) * nf + j % nf


def out_elems(params: VvauParams, folding: NodeFolding) -> int:
    """One output per PE lane, of each of the word's mmv pixels."""
    return folding.pe * folding.mmv


VVAU: Block[VvauParams] = Block(
    op_type=Vvau,
    params=params_of,
    foldings=foldings,
    check_folding=check_folding,
    model=vvau,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
    needed=needed,
    needs=needs,
    out_elems=out_elems,
    paced=True,
    multi_pixel=True,
)
