"""Channel concatenation parameters (fixed by the network) and its legal foldings.

Streams: input n is a ``[C_n, *spatial]`` map streamed channels-last (SIMD channels of one pixel
per word); the output is ``[C_0 + C_1, *spatial]``: per pixel the C_0 channels of input 0, then
the C_1 channels of input 1. Width rule: the output type is the narrowest holding both inputs'
ranges (a bipolar input's -1 / +1 included), so every element passes unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from streamfold.errors import FoldingError, IRError
from streamfold.hw.block import NodeFolding, divisors
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node
from streamfold.ir.intervals import join_type
from streamfold.ir.ops import Concat


@dataclass(frozen=True)
class ConcatParams:
    """``channels0`` + ``channels1`` channels per pixel, ``pixels`` pixels."""

    channels0: int
    channels1: int
    pixels: int
    in0: IntType
    in1: IntType

    def __post_init__(self) -> None:
        if min(self.channels0, self.channels1, self.pixels) < 1:
            raise IRError(
                "ConcatParams: channels and pixels must be >= 1, not "
                f"{self.channels0}, {self.channels1}, {self.pixels}"
            )

    @property
    def out_dtype(self) -> IntType:
        """The graph's type of a two-input Concat (``ir.intervals.join_type``)."""
        joined = join_type(Concat(), (self.in0, self.in1))
        assert joined is not None
        return joined

    @property
    def channels(self) -> int:
        return self.channels0 + self.channels1


def foldings(params: ConcatParams) -> Iterator[NodeFolding]:
    """SIMD dividing both inputs' channels."""
    for simd in divisors(params.channels0):
        if params.channels1 % simd == 0:
            yield NodeFolding(simd=simd)


def check_folding(name: str, params: ConcatParams, folding: NodeFolding) -> None:
    if folding.pe != 1:
        raise FoldingError(
            f"{name}: pe must be 1 (concat folds channels by simd), not {folding.pe}"
        )
    simd = folding.simd
    if simd < 1 or params.channels0 % simd or params.channels1 % simd:
        raise FoldingError(
            f"{name}: simd={simd} must divide both inputs' channels "
            f"({params.channels0} and {params.channels1})"
        )


def params_of(graph: Graph, node: Node) -> ConcatParams:
    """The parameters of a two-input ``Concat`` node (``lower_to_kernels`` splits wider ones);
    its output type must be the block's."""
    if not isinstance(node.op, Concat):
        raise IRError(f"{node.name}: op must be Concat, not {type(node.op).__name__}")
    if len(node.inputs) != 2:
        raise IRError(
            f"{node.name}: the concat block takes 2 inputs, not {len(node.inputs)} "
            "(lower_to_kernels splits wider concats)"
        )
    x0, x1 = (graph.value(i) for i in node.inputs)
    if x0.shape[1:] != x1.shape[1:]:
        raise IRError(
            f"{node.name}: inputs must have one spatial shape, not {x0.shape} and {x1.shape}"
        )
    pixels = math.prod(x0.shape[1:])
    params = ConcatParams(x0.shape[0], x1.shape[0], pixels, x0.dtype, x1.dtype)
    if node.output.dtype != params.out_dtype:
        raise IRError(
            f"{node.name}: output type must be {params.out_dtype}, not {node.output.dtype}"
        )
    return params
