"""Elementwise add parameters (fixed by the network) and its legal foldings.

Streams: both inputs and the output are the same ``[C, *spatial]`` map (or ``[C]`` vector)
streamed channels-last, SIMD channels of one pixel per word (as every streaming block). The
integer alignment factors ``k0``, ``k1`` make two codes at different scales addable exactly:
``x0 * s0 + x1 * s1 = (x0 * k0 + x1 * k1) * s`` with ``s0 = k0 * s`` and ``s1 = k1 * s``.

Width rule: the output type holds every ``x0 * k0 + x1 * k1`` over the inputs' ranges (by
default the narrowest that does; a graph may give a wider one); no sum can overflow it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from streamfold.errors import IRError
from streamfold.hw.block import NodeFolding, channel_foldings, check_channel_lanes
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.graph import Graph, Node
from streamfold.ir.intervals import join_interval
from streamfold.ir.ops import Add

MAX_FACTOR = 1 << 30  # a Verilog integer parameter; the RTL computes modulo 2**WI


def kind(dtype: IntType) -> int:
    """The RTL's element kind: 0 unsigned, 1 two's complement, 2 bipolar."""
    return 2 if dtype.bipolar else int(dtype.signed)


@dataclass(frozen=True)
class AddParams:
    """``x0 * k0 + x1 * k1`` elementwise over ``channels`` x ``pixels`` elements."""

    channels: int
    pixels: int
    in0: IntType
    in1: IntType
    k0: int = 1
    k1: int = 1
    out: IntType | None = None  # None: the narrowest holding every sum

    def __post_init__(self) -> None:
        if self.channels < 1 or self.pixels < 1:
            raise IRError(
                f"AddParams: channels and pixels must be >= 1, not {self.channels}, {self.pixels}"
            )
        for k in (self.k0, self.k1):
            if not 0 < abs(k) <= MAX_FACTOR:
                raise IRError(f"AddParams: factors must be nonzero, |k| <= {MAX_FACTOR}, not {k}")
        lo, hi = self.sum_range
        if self.out is not None and not self.out.min <= lo <= hi <= self.out.max:
            raise IRError(f"AddParams: output type {self.out} must hold every sum {lo}..{hi}")

    @property
    def sum_range(self) -> tuple[int, int]:
        """Every ``x0 * k0 + x1 * k1`` lies in it (``ir.intervals.join_interval``)."""
        interval = join_interval(Add((self.k0, self.k1)), (self.in0, self.in1))
        assert interval is not None
        return interval

    @property
    def out_dtype(self) -> IntType:
        return self.out if self.out is not None else narrowest(*self.sum_range)

    @property
    def vector(self) -> int:
        return self.channels * self.pixels


def foldings(params: AddParams) -> Iterator[NodeFolding]:
    return channel_foldings(params.channels)


def check_folding(name: str, params: AddParams, folding: NodeFolding) -> None:
    check_channel_lanes(name, params.channels, folding, "elementwise add folds channels by simd")


def shape_params(shape: tuple[int, ...]) -> tuple[int, int]:
    """(channels, pixels) of a channels-first value shape."""
    return shape[0], math.prod(shape[1:])


def params_of(graph: Graph, node: Node) -> AddParams:
    """The parameters of a two-input ``Add`` node (``lower_to_kernels`` splits wider ones)."""
    op = node.op
    if not isinstance(op, Add):
        raise IRError(f"{node.name}: op must be Add, not {type(op).__name__}")
    if len(node.inputs) != 2:
        raise IRError(
            f"{node.name}: the add block takes 2 inputs, not {len(node.inputs)} "
            "(lower_to_kernels splits wider adds)"
        )
    x0, x1 = (graph.value(i) for i in node.inputs)
    if x0.shape != x1.shape:
        raise IRError(f"{node.name}: inputs must have one shape, not {x0.shape} and {x1.shape}")
    channels, pixels = shape_params(x0.shape)
    k0, k1 = op.factors
    return AddParams(channels, pixels, x0.dtype, x1.dtype, k0, k1, node.output.dtype)
