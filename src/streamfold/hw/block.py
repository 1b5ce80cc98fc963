"""The Block record, foldings and RTL instances: what every hardware block provides.

A block is a set of functions (no base class). DSE, estimation, codegen and simulation find a
block in ``streamfold.hw.registry.BLOCKS`` by the IR op type of a node; they never list op names.

Stream conventions (every block, every generated top):
- AXI-Stream ``s_axis_tdata/tvalid/tready`` in, ``m_axis_tdata/tvalid/tready`` out, clock ``clk``,
  active-low synchronous reset ``rst_n``; any valid/ready pattern must be tolerated.
- A word carries ``elems`` elements of ``dtype.bits`` bits each; element i of a word sits at bits
  ``[i*bits +: bits]``. A vector of N elements is N / elems consecutive words, word j holding
  elements ``j*elems .. j*elems + elems - 1``.
- Signed elements are two's complement; bipolar elements are one bit, 1 = +1 and 0 = -1.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from streamfold.errors import FoldingError, SimulationError
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node

P = TypeVar("P")


class MemStyle(enum.Enum):
    """Where a block keeps weights/thresholds: a folding choice, not a separate block."""

    BLOCK = "block"  # block RAM (ram_style "block"), registered read
    DISTRIBUTED = "distributed"  # LUT RAM (ram_style "distributed"), registered read
    REGISTERS = "registers"  # constants in logic the synthesiser can optimise


@dataclass(frozen=True)
class NodeFolding:
    """How one node is built: chosen by DSE or by hand; never stored in the IR."""

    pe: int = 1
    simd: int = 1
    mem_style: MemStyle = MemStyle.DISTRIBUTED
    fifo_depth: int = 2  # FIFO on this node's output stream
    # Pixels (samples) per word: > 1 only on blocks that take multi-pixel words (docs/mmv.md)
    mmv: int = 1

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "pe": self.pe,
            "simd": self.simd,
            "mem_style": self.mem_style.value,
            "fifo_depth": self.fifo_depth,
        }
        if self.mmv != 1:  # only then: other design points stay byte-identical
            body["mmv"] = self.mmv
        return body


@dataclass(frozen=True)
class StreamFormat:
    """The elements one AXI-Stream word carries (see the module docstring)."""

    dtype: IntType
    elems: int  # elements per word
    vector: int  # elements per frame

    @property
    def width(self) -> int:
        return self.dtype.bits * self.elems

    @property
    def words(self) -> int:
        """Words per frame."""
        return self.vector // self.elems


def element_code(value: int, dtype: IntType) -> int:
    """``value`` as an element's bits (the stream convention above): two's complement in
    ``dtype.bits``; bipolar +1 -> 1, -1 -> 0."""
    if dtype.bipolar:
        return 1 if value == 1 else 0
    return value & ((1 << dtype.bits) - 1)


NUMPY_BITS = 62  # elements up to this width are packed and unpacked in int64 arithmetic


def word_bytes(codes: npt.NDArray[Any], bits: int) -> npt.NDArray[np.uint8]:
    """``codes[word, i]`` (unsigned, below ``2**bits``, ``bits`` <= NUMPY_BITS) -> each word's
    bytes, little-endian, code i at bits ``[i*bits +: bits]`` (the stream convention above):
    one row of ``ceil(elems * bits / 8)`` bytes per word, through a little-endian bit matrix."""
    n, elems = codes.shape
    code_bytes = (bits + 7) // 8  # the low bytes of each little-endian uint64 code
    raw = codes.astype("<u8").reshape(-1, 1).view(np.uint8)[:, :code_bytes]
    if bits % 8 == 0:  # byte-aligned elements: the code bytes are the word bytes
        return np.ascontiguousarray(raw.reshape(n, elems * code_bytes))
    bitmat = np.unpackbits(raw, axis=1, count=bits, bitorder="little")
    return np.packbits(bitmat.reshape(n, elems * bits), axis=1, bitorder="little")


@dataclass(frozen=True)
class RtlInstance:
    """One instance of a hand-written HDL module, fully parameterised.

    ``memories`` are ($readmemh) image files to write beside the top: (file name, content).
    String parameters naming them hold just the file name; simulation and synthesis run in the
    directory that holds them.
    """

    module: str
    sources: tuple[Path, ...]
    parameters: tuple[tuple[str, int | str], ...]
    memories: tuple[tuple[str, str], ...]
    stream_in: StreamFormat
    stream_out: StreamFormat
    # Further input streams of a join (elementwise add, concat): ports s0_axis_*, s1_axis_*, ...
    extra_in: tuple[StreamFormat, ...] = ()
    # Output streams, all of format stream_out (a fork has two: m0_axis_*, m1_axis_*).
    outputs: int = 1

    @property
    def streams_in(self) -> tuple[StreamFormat, ...]:
        return (self.stream_in, *self.extra_in)

    @property
    def in_ports(self) -> tuple[str, ...]:
        """AXI-Stream port prefixes of the inputs: s_axis, or s0_axis, s1_axis, ..."""
        n = len(self.streams_in)
        return ("s_axis",) if n == 1 else tuple(f"s{i}_axis" for i in range(n))

    @property
    def out_ports(self) -> tuple[str, ...]:
        return (
            ("m_axis",) if self.outputs == 1 else tuple(f"m{i}_axis" for i in range(self.outputs))
        )


def model_input(block: str, x: npt.ArrayLike, elements: int) -> npt.NDArray[Any]:
    """``x`` as a (frames, ``elements``) array: the input every block model takes, in stream
    order; else SimulationError naming the block."""
    xa = np.asarray(x)
    if xa.ndim != 2 or xa.shape[1] != elements:
        raise SimulationError(f"{block}: input must be (frames, {elements}), not {xa.shape}")
    return xa


def bits_for(n: int) -> int:
    """The RTL's ``bits_for`` (sf_*.v): bits of a counter over 0 .. n - 1 (at least one)."""
    return (n - 1).bit_length() if n > 1 else 1


def divisors(n: int) -> list[int]:
    """Every d in 1..n dividing n: the legal lane counts over n elements."""
    return [d for d in range(1, n + 1) if n % d == 0]


def channel_foldings(
    channels: int, styles: Iterable[MemStyle] = (MemStyle.DISTRIBUTED,)
) -> Iterator[NodeFolding]:
    """The foldings of a block whose only lanes are SIMD channels of a pixel (windows,
    pooling, padding): SIMD dividing ``channels``, in each of ``styles``."""
    for simd in divisors(channels):
        for style in styles:
            yield NodeFolding(simd=simd, mem_style=style)


def check_channel_lanes(name: str, channels: int, folding: NodeFolding, no_pe: str) -> None:
    """Raise FoldingError unless PE is 1 (``no_pe`` says why) and SIMD divides ``channels``."""
    if folding.pe != 1:
        raise FoldingError(f"{name}: pe must be 1 ({no_pe}), not {folding.pe}")
    if folding.simd < 1:
        raise FoldingError(f"{name}: simd must be >= 1, not {folding.simd}")
    if channels % folding.simd:
        raise FoldingError(f"{name}: simd={folding.simd} must divide channels={channels}")


def lanes(params: Any, folding: NodeFolding) -> int:
    """Elements per output word of most blocks: PE * SIMD (one of them is 1), of each of the
    word's mmv pixels."""
    return folding.pe * folding.simd * folding.mmv


def check_whole_pixels(name: str, channels: int, pixels: int, folding: NodeFolding) -> None:
    """Raise FoldingError unless ``folding``'s mmv fits an elementwise block: mmv >= 1, and at
    mmv > 1 whole pixels per word (PE = ``channels``) and mmv dividing ``pixels``."""
    if folding.mmv < 1:
        raise FoldingError(f"{name}: mmv must be >= 1, not {folding.mmv}")
    if folding.mmv == 1:
        return
    if folding.pe != channels:
        raise FoldingError(
            f"{name}: with mmv={folding.mmv}, pe must be channels={channels} (whole pixels per "
            f"word), not {folding.pe}"
        )
    if pixels % folding.mmv:
        raise FoldingError(f"{name}: mmv={folding.mmv} must divide pixels={pixels}")


@dataclass(frozen=True)
class Block(Generic[P]):
    """Everything the compiler believes about one kind of hardware kernel."""

    op_type: type
    params: Callable[[Graph, Node], P]
    foldings: Callable[[P], Iterator[NodeFolding]]
    check_folding: Callable[[str, P, NodeFolding], None]  # raises FoldingError
    # (params, *inputs): each input (frames, in) in stream order -> (frames, out)
    model: Callable[..., npt.NDArray[Any]]
    cycles: Callable[[P, NodeFolding], int]  # initiation interval: cycles per frame
    latency: Callable[[P, NodeFolding], int]  # first input word to first output word
    # (params, folding, name): ``name`` is a legal Verilog identifier (codegen.verilog
    # .legal_identifiers) that prefixes the instance's memory image files
    rtl: Callable[[P, NodeFolding, str], RtlInstance]
    # Input words the first output word needs (the whole input vector of a matrix-vector
    # product, a window's worth for a sliding window); None: just the first (elementwise).
    # ``latency`` counts from the first input word, these arriving one per cycle. Used by the
    # latency model to follow a slower producer.
    needed: Callable[[P, NodeFolding], int] | None = None
    # Cycles from the last needed input word to the first output word; None: what ``latency``
    # leaves after the needed words arrive one per cycle (latency - (needed - 1)).
    delay: Callable[[P, NodeFolding], int] | None = None
    # True when the block computes its output words at an even pace (cycles / words out apart,
    # a matrix-vector unit); False when they leave as fast as their inputs allow (a pooled
    # sum leaves in a burst once the frame is in).
    paced: bool = False
    # Per output word of a frame, the input word it needs last (-1: none, e.g. padding); None:
    # evenly from ``needed`` words for the first to all for the last. Used by the latency
    # model where a block's word order is not linear (padding, sliding windows).
    needs: Callable[[P, NodeFolding], npt.NDArray[np.int64]] | None = None
    # Elements per output word (the stream format's ``elems``, without building the RTL).
    out_elems: Callable[[P, NodeFolding], int] = lanes
    # True when the block takes a folding's ``mmv`` (several pixels per word; docs/mmv.md):
    # its ``check_folding`` then checks it; every other block needs mmv = 1.
    multi_pixel: bool = False


def check_whole_vectors(
    name: str, pixels: int, full: tuple[int, int], folding: NodeFolding
) -> None:
    """Raise FoldingError unless ``folding``'s mmv fits a matrix or vector unit: mmv >= 1, and
    at mmv > 1 mmv dividing ``pixels`` and (PE, SIMD) = ``full``, so each word holds whole input
    vectors and whole output pixels and both streams keep the plain channels-last order."""
    if folding.mmv < 1:
        raise FoldingError(f"{name}: mmv must be >= 1, not {folding.mmv}")
    if folding.mmv == 1:
        return
    if pixels % folding.mmv:
        raise FoldingError(f"{name}: mmv={folding.mmv} must divide pixels={pixels}")
    if (folding.pe, folding.simd) != full:
        raise FoldingError(
            f"{name}: with mmv={folding.mmv}, (pe, simd) must be {full} (whole pixels per "
            f"word), not {(folding.pe, folding.simd)}"
        )


def check_one_pixel(name: str, folding: NodeFolding) -> None:
    """Raise FoldingError unless ``folding`` asks for one pixel per word (mmv = 1)."""
    if folding.mmv != 1:
        raise FoldingError(
            f"{name}: mmv must be 1 (this block takes one pixel per word), not {folding.mmv}"
        )
