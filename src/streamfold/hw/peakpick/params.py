"""Peak-picking parameters (fixed by the network and the picking rule) and legal foldings.

Stream conventions (also at the top of sf_peakpick.v):

- Input: one profile of ``length`` scores per frame, ``P`` consecutive samples per word
  (``folding.simd``; P divides ``length``), sample ``i`` of word ``w`` is ``w * P + i``.
- Output: one word per frame holding ``max_peaks`` records of four ``out_dtype`` elements,
  record ``j`` at elements ``4j .. 4j + 3``: (position, score, num, den). The kept peaks fill
  the records in ascending position; the rest are all zero. The parabola through
  ``s[i-1], s[i], s[i+1]`` has its vertex at ``position + num / den`` with
  ``num = s[i+1] - s[i-1]`` and ``den = 2 * (2 s[i] - s[i-1] - s[i+1])`` (> 0 at every
  peak, so ``den == 0`` marks an unused record, and ``|num / den| <= 1/2``).

The rule (``streamfold.peaks.picking.local_maxima``, on integer scores): sample ``i`` with
``1 <= i <= length - 2`` is a candidate when ``s[i-1] < s[i] >= s[i+1]`` and
``s[i] >= threshold``; a candidate is kept unless a candidate ``j`` with
``0 < |i - j| < min_distance`` is stronger: ``s[j] > s[i]``, or ``s[j] == s[i]`` and ``j < i``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from streamfold.errors import FoldingError, IRError
from streamfold.hw.block import NodeFolding, divisors
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.graph import Graph, Node
from streamfold.ir.intervals import peak_record_range
from streamfold.ir.ops import PeakPick

FIELDS = 4  # position, score, num, den


@dataclass(frozen=True)
class PeakPickParams:
    """Peaks of ``length``-sample profiles of ``dtype`` scores."""

    length: int
    dtype: IntType
    threshold: int
    min_distance: int
    max_peaks: int

    def __post_init__(self) -> None:
        for name in ("length", "min_distance", "max_peaks"):
            if getattr(self, name) < 1:
                raise IRError(f"PeakPickParams: {name} must be >= 1, not {getattr(self, name)}")
        if self.length < 3:
            raise IRError(f"PeakPickParams: length must be >= 3, not {self.length}")
        if self.dtype.bipolar:
            raise IRError("PeakPickParams: dtype must be an integer type, not bipolar")

    @property
    def out_dtype(self) -> IntType:
        return record_dtype(self.length, self.dtype)

    @property
    def in_vector(self) -> int:
        return self.length

    @property
    def out_vector(self) -> int:
        return FIELDS * self.max_peaks


def record_dtype(length: int, x: IntType) -> IntType:
    """The narrowest type of every field (``ir.intervals.peak_record_range``)."""
    return narrowest(*peak_record_range(length, x))


def foldings(params: PeakPickParams) -> Iterator[NodeFolding]:
    """Every legal folding: P = simd samples per word, dividing the length."""
    for p in divisors(params.length):
        yield NodeFolding(simd=p)


def check_folding(name: str, params: PeakPickParams, folding: NodeFolding) -> None:
    """Raise FoldingError naming the node and the violated constraint."""
    if folding.pe != 1:
        raise FoldingError(f"{name}: pe must be 1 (samples per word are simd), not {folding.pe}")
    if folding.simd < 1:
        raise FoldingError(f"{name}: simd must be >= 1, not {folding.simd}")
    if params.length % folding.simd:
        raise FoldingError(f"{name}: simd={folding.simd} must divide length={params.length}")


def params_of(graph: Graph, node: Node) -> PeakPickParams:
    """The parameters of a ``PeakPick`` node reading a ``[1, length]`` score."""
    if not isinstance(node.op, PeakPick):
        raise IRError(f"{node.name}: op must be PeakPick, not {type(node.op).__name__}")
    x = graph.value(node.inputs[0])
    if len(x.shape) != 2 or x.shape[0] != 1:
        raise IRError(f"{node.name}: input must be [1, length], not {list(x.shape)}")
    op = node.op
    return PeakPickParams(x.shape[1], x.dtype, op.threshold, op.min_distance, op.max_peaks)
