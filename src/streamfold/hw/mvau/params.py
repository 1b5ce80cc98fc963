"""MVAU parameters (fixed by the network) and its legal foldings."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from streamfold.cost import memlib
from streamfold.cost.devices import Family
from streamfold.cost.resources import bram_banks
from streamfold.errors import FoldingError, IRError
from streamfold.hw.block import MemStyle, NodeFolding, check_whole_vectors, divisors
from streamfold.hw.mulshift.params import MulShiftParams
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.graph import Graph, Node
from streamfold.ir.intervals import dot_interval
from streamfold.ir.ops import IntArray, Mvau


@dataclass(frozen=True)
class MvauParams:
    """y = W x (the accumulator), or its thresholded levels when thresholds are given."""

    in_features: int  # MW
    out_features: int  # MH
    in_dtype: IntType
    weight_dtype: IntType
    acc_dtype: IntType  # narrowest type holding every exact W x for these weights
    out_dtype: IntType  # the node's output type: the levels' type, or one holding acc_dtype
    weight: IntArray  # [out_features, in_features]
    thresholds: IntArray | None  # [out_features or 1, out_dtype.levels - 1]
    pixels: int = 1  # input vectors per frame: output pixels of a convolution, 1 for an FC layer
    # The multiply-shift output stage (ir.ops.Mvau's meaning); empty: none.
    multiplier: tuple[int, ...] = ()
    bias: tuple[int, ...] = ()
    shift: tuple[int, ...] = ()

    def requant(self) -> MulShiftParams | None:
        """The output stage as the multiply-shift block's parameters (rows as channels)."""
        if not self.multiplier:
            return None
        return MulShiftParams(
            self.out_features, self.acc_dtype, self.out_dtype,
            self.multiplier, self.bias, self.shift,
        )  # fmt: skip

    @property
    def n_thresholds(self) -> int:
        """Thresholds per output row; 0 when the accumulator is the output."""
        return 0 if self.thresholds is None else self.thresholds.shape[1]


def params_of(graph: Graph, node: Node) -> MvauParams:
    """The parameters of an ``Mvau`` node; the accumulator type comes from its actual weights."""
    op = node.op
    if not isinstance(op, Mvau):
        raise IRError(f"{node.name}: op must be Mvau, not {type(op).__name__}")
    x = graph.value(node.inputs[0]).dtype
    out_f, in_f = op.weight.shape
    lo, hi = dot_interval(op.weight.array, x.min, x.max)
    out = node.output.dtype
    if op.thresholds is None and not op.multiplier and (out.bipolar or not out.contains(lo, hi)):
        # the RTL extends the accumulator into the output type: it must hold every sum
        raise IRError(f"{node.name}: output type must hold [{lo}, {hi}], not {out}")
    acc = narrowest(lo, hi)
    shape = graph.value(node.inputs[0]).shape
    pixels = math.prod(shape[1:]) if op.per_pixel else 1
    return MvauParams(
        in_f, out_f, x, op.weight_dtype, acc, out, op.weight, op.thresholds, pixels,
        op.multiplier, op.bias, op.shift,
    )  # fmt: skip


def foldings(params: MvauParams) -> Iterator[NodeFolding]:
    """Every legal folding of one pixel per word: PE dividing out_features, SIMD dividing
    in_features, each style."""
    for pe in divisors(params.out_features):
        for simd in divisors(params.in_features):
            for style in MemStyle:
                yield NodeFolding(pe=pe, simd=simd, mem_style=style)


def mmv_foldings(params: MvauParams) -> Iterator[NodeFolding]:
    """The foldings of several pixels per word (below one cycle per pixel), asked for
    explicitly (docs/mmv.md): fully parallel (PE = out_features, SIMD = in_features), every
    mmv > 1 dividing the pixels, each style."""
    for mmv in divisors(params.pixels)[1:]:
        for style in MemStyle:
            yield NodeFolding(params.out_features, params.in_features, style, mmv=mmv)


def weight_banks(params: MvauParams, folding: NodeFolding) -> tuple[int, int]:
    """(W_BANKS, words per bank) of sf_mvau's weight memory: with block RAM, a memory deeper
    than one block is cut into banks read side by side (``cost.resources.bram_banks``); (1,
    NF * SF) otherwise."""
    words = (params.out_features // folding.pe) * (params.in_features // folding.simd)
    if folding.mem_style is not MemStyle.BLOCK:
        return 1, words
    width = folding.pe * folding.simd * params.weight_dtype.bits
    return bram_banks(words, width)


BANK_GROUP = 8  # banks one select step of sf_mvau.v reads (its BANK_GROUP)


def input_prefetch(params: MvauParams, folding: NodeFolding) -> bool:
    """IBUF_PREFETCH of sf_mvau.v: read the input replay buffer a cycle ahead, then register
    it again, where Yosys puts the buffer (SF words of SIMD inputs, kept with NF > 1) in block
    RAM on either family (``cost.memlib``), so the block's clock-to-output ends at a register
    rather than running into the replay mux and the products. Not with SF < 3 (the early
    read would meet the buffer's late write) nor with a banked weight memory (its operand
    registers already register the read apart)."""
    nf, sf = params.out_features // folding.pe, params.in_features // folding.simd
    if nf == 1 or sf < 3 or weight_banks(params, folding)[0] > 1:
        return False
    width = folding.simd * params.in_dtype.bits
    for family in (Family.ECP5, Family.XILINX7):
        found = memlib.choose(family, sf, width, sync_read=True)
        if found.option is not None and found.option.block:
            return True
    return False


def bank_select_steps(banks: int) -> int:
    """Registered select steps after a banked weight row in sf_mvau.v (BANK_STEPS): 0
    unbanked, 1 up to BANK_GROUP banks, else 2 (each group of BANK_GROUP, then the group)."""
    return 0 if banks <= 1 else 1 if banks <= BANK_GROUP else 2


def bank_rows(words: npt.NDArray[np.int64], banks: int, rows: int) -> npt.NDArray[np.int64]:
    """A weight image ``words[address, element]`` packed into ``banks`` banks of ``rows``
    words side by side (sf_mvau.v's W_BANKS): row r holds word b * rows + r at elements
    b * E .. b * E + E - 1, 0 past the last word."""
    if banks == 1:
        return words
    padded = np.zeros((banks * rows, words.shape[1]), dtype=np.int64)
    padded[: words.shape[0]] = words
    return padded.reshape(banks, rows, -1).transpose(1, 0, 2).reshape(rows, -1)


def check_folding(name: str, params: MvauParams, folding: NodeFolding) -> None:
    """Raise FoldingError naming the node and the violated constraint."""
    for what, value in (("pe", folding.pe), ("simd", folding.simd)):
        if value < 1:
            raise FoldingError(f"{name}: {what} must be >= 1, not {value}")
    if params.out_features % folding.pe:
        raise FoldingError(
            f"{name}: pe={folding.pe} must divide out_features={params.out_features}"
        )
    if params.in_features % folding.simd:
        raise FoldingError(
            f"{name}: simd={folding.simd} must divide in_features={params.in_features}"
        )
    check_mmv(name, params, folding)


def check_mmv(name: str, params: MvauParams, folding: NodeFolding) -> None:
    """mmv pixels per word: dividing the pixels, with each word holding whole input vectors and
    whole output pixels (PE = out_features, SIMD = in_features), so both streams keep the plain
    channels-last order (sf_mvau_mmv.v)."""
    check_whole_vectors(name, params.pixels, (params.out_features, params.in_features), folding)
