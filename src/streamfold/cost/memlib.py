"""How Yosys maps one memory to RAM primitives: ``memory_libmap``'s cost rule, for the port
patterns streamfold's RTL uses (one write port with one enable, one read port).

Yosys 0.70 ``passes/memory/memory_libmap.cc`` scores every way a memory fits a primitive of
the family's library (``share/xilinx/lutrams_xc5v.txt`` and ``brams_xc4v.txt`` for
synth_xilinx -family xc7; ``share/lattice/lutrams_trellis.txt`` and ``brams_16kd.txt`` for
synth_ecp5) and keeps the cheapest; a memory without ram_style stays in flip-flops when no
mapping costs less than its bits (``-logic-cost-ram`` 1 per bit). For a ``depth`` x
``width`` memory on primitives of ``2**abits`` words x ``unit`` bits:

- ``mult_a = ceil(depth / 2**abits)`` address slices; the word is padded to the write byte
  (``unit`` for LUT RAM, 9 for block RAM, 1 for a ROM), and the slices' padded words are
  packed side by side into ``repl = ceil(mult_a * padded / unit)`` primitives (a block RAM
  row holds bits of several slices: 9,216 x 2 fits one 1K x 18 DP16KD);
- cost = ``(cost - widthscale) * repl + widthscale * mult_a * width / unit``
  + 0.5 per read-mux input bit ``(mult_a - 1) * width`` + 0.5 per write-enable demux output
  ``mult_a`` (when ``mult_a > 1``) + 2 per emulation point (1 point: a read port that cannot
  share the write port; the library's ``cost`` and ``widthscale`` per primitive below);
- the cheapest wins; flip-flops win ties with a primitive; between primitives the tie order
  of ``_ranked`` (measured: 1152 x 1 at one address is 5 RAM256X1S, not 9 RAM128X1S, and
  260 x 1 is 3 RAM128X1S, not 5 RAM64X1S, each pair at cost 44.5 / 14.5).

LUTs of the chosen primitive follow the library's map files (``lutrams_xc5v_map.v``): RAM32M
and RAM64M count whole (4 LUTs), RAM64X1S/RAM128X1S/RAM256X1S and RAM64X1D/RAM128X1D once per
used bit and address slice (1/2/4 and 2/4 LUTs). Block RAM: RAMB18 = 1, RAMB36 = 2, a
cascaded RAMB36 pair = 4 (RAMB18 equivalents), DP16KD = 1.

Measured (Yosys synth_xilinx / synth_ecp5, one memory alone; tests/cost/test_memlib.py): the
MVAU input buffer 576 x 1 (read and write at one address, registered read) is 5 RAM128X1S
(10 LUTs) on xc7 and one DP16KD on ECP5 (its 36 TRELLIS_DPR16X4 would cost 144 + 17.5 + 18 +
2 > 128); sf_fifo's 255 x 1 is 4 RAM64M (SDP 64 x 3), not 2 RAM128X1D.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from typing import Any

from streamfold.cost.devices import Family

FACTOR_MUX = 0.5
FACTOR_DEMUX = 0.5
FACTOR_EMU = 2.0
# soft transparency logic (a read that must see the word written in the same cycle)
TRANSPARENT_POINTS = 3


@dataclass(frozen=True)
class Option:
    """One way a primitive holds memory: ``2**abits`` words of ``unit`` bits."""

    name: str  # the cell Yosys emits
    block: bool  # block RAM (registered read only) or distributed (asynchronous read)
    abits: int
    unit: int
    cost: float
    widthscale: float
    byte: int  # write-enable granularity (0: the whole unit)
    shared_read: bool  # the read can share the write port (same address)
    separate_read: bool  # a read port of its own
    luts_whole: int = 0  # LUTs per primitive (RAM32M, RAM64M, TRELLIS_DPR16X4)
    luts_per_bit: int = 0  # LUTs per used bit and address slice (RAM64X1S, RAM128X1D, ...)
    brams: int = 0  # RAMB18 equivalents (Xilinx) or DP16KD per primitive
    # tie order (``_ranked``): the library's RAM definition, its option (the later first),
    # the per-port width (the narrower first)
    rank: tuple[int, int, int] = (0, 0, 0)


def _ranked(*rams: tuple[tuple[Option, ...], ...]) -> tuple[Option, ...]:
    """The options of the library's RAM definitions (each a tuple of options, each a tuple of
    widths), with their tie order: memory_libmap keeps the first of equal costs in its list,
    which holds the definitions in file order and, measured, a definition's options last
    first (1152 x 1 at one address: RAM256X1S over RAM128X1S; 260 x 1: RAM128X1S over
    RAM64X1S) and a block RAM's widths narrowest first (512 x 8 read at a registered counter
    on ECP5: DP16KD, not the equal-cost PDPW16KD)."""
    return tuple(
        replace(o, rank=(r, -v, w))
        for r, ram in enumerate(rams)
        for v, option in enumerate(ram)
        for w, o in enumerate(option)
    )


def _widths(
    name: str, abits: int, widths: tuple[int, ...], cost: float, brams: int
) -> tuple[Option, ...]:
    """A true-dual-port block RAM's per-port width choices: ``2**(abits - i)`` words at
    ``widths[i]``; a read shares the write port at one address, or uses the other port."""
    return tuple(
        Option(name, True, abits - i, w, cost, 0.0, 9, True, True, brams=brams)
        for i, w in enumerate(widths)
    )


def _lutram(name: str, abits: int, unit: int, cost: float, ws: float, **kw: Any) -> Option:
    return Option(name, False, abits, unit, cost, ws, 0, **kw)


LIBRARY: dict[Family, tuple[Option, ...]] = {
    Family.XILINX7: _ranked(
        # lutrams_xc5v.txt: SP (arsw), DP (arsw + ar), QP (arsw + 3 ar), SDP (sw + ar)
        (
            (_lutram("RAM32M", 5, 8, 8, 8, shared_read=True, separate_read=False, luts_whole=4),),
            (
                _lutram(
                    "RAM64X1S", 6, 4, 8, 8, shared_read=True, separate_read=False, luts_per_bit=1
                ),
            ),
            (
                _lutram(
                    "RAM128X1S", 7, 2, 8, 8, shared_read=True, separate_read=False, luts_per_bit=2
                ),
            ),
            (
                _lutram(
                    "RAM256X1S", 8, 1, 8, 8, shared_read=True, separate_read=False, luts_per_bit=4
                ),
            ),
        ),
        (
            (_lutram("RAM32M", 5, 4, 8, 8, shared_read=True, separate_read=True, luts_whole=4),),
            (
                _lutram(
                    "RAM64X1D", 6, 2, 8, 8, shared_read=True, separate_read=True, luts_per_bit=2
                ),
            ),
            (
                _lutram(
                    "RAM128X1D", 7, 1, 8, 8, shared_read=True, separate_read=True, luts_per_bit=4
                ),
            ),
        ),
        (
            (_lutram("RAM32M", 5, 2, 7, 7, shared_read=True, separate_read=True, luts_whole=4),),
            (_lutram("RAM64M", 6, 1, 7, 7, shared_read=True, separate_read=True, luts_whole=4),),
        ),
        (
            (_lutram("RAM32M", 5, 6, 8, 7, shared_read=False, separate_read=True, luts_whole=4),),
            (_lutram("RAM64M", 6, 3, 8, 7, shared_read=False, separate_read=True, luts_whole=4),),
        ),
        # brams_xc4v.txt with HAS_SIZE_36 and HAS_CASCADE: TDP RAMB18 / RAMB36 / cascade, then
        # SDP at the widest (its write port is 36 / 72 bits wide)
        (
            _widths("RAMB18E1", 14, (1, 2, 4, 9, 18), 129, 1),
            _widths("RAMB36E1", 15, (1, 2, 4, 9, 18, 36), 257, 2),
            _widths("RAMB36E1 x2", 16, (1, 2, 4, 9), 513, 4),
        ),
        (
            (Option("RAMB18E1", True, 9, 36, 129, 0, 9, False, True, brams=1),),
            (Option("RAMB36E1", True, 9, 72, 257, 0, 9, False, True, brams=2),),
        ),
    ),
    Family.ECP5: _ranked(
        # lutrams_trellis.txt: TRELLIS_DPR16X4 (sw + ar); brams_16kd.txt: DP16KD (srsw A, B)
        # and PDPW16KD (sr R, a 36-bit sw W)
        (
            (
                _lutram(
                    "TRELLIS_DPR16X4",
                    4,
                    4,
                    4,
                    0,
                    shared_read=False,
                    separate_read=True,
                    luts_whole=4,
                ),
            ),
        ),
        (_widths("DP16KD", 14, (1, 2, 4, 9, 18), 128, 1),),
        ((Option("PDPW16KD", True, 9, 36, 128, 0, 9, False, True, brams=1),),),
    ),
}


@dataclass(frozen=True)
class Mapping:
    """What one memory becomes: its primitive, how many, LUTs and block RAMs."""

    option: Option | None  # None: flip-flops
    cells: int
    luts: int
    brams: int
    cost: float
    slices: int = 0  # address slices (mult_a): the read mux has that many inputs per bit


def _rank(m: Mapping) -> tuple[int, int, int]:
    """Flip-flops before any primitive of equal cost."""
    return m.option.rank if m.option is not None else (-1, 0, 0)


def _library(family: Family) -> tuple[Option, ...]:
    return LIBRARY[Family.XILINX7 if family is Family.XILINX_USP else family]


def _geometry(o: Option, depth: int, width: int, rom: bool) -> tuple[int, int]:
    """(address slices, primitives) of a ``depth`` x ``width`` memory on ``o``."""
    mult_a = math.ceil(depth / (1 << o.abits))
    byte = 1 if rom else (o.byte if 0 < o.byte <= o.unit else o.unit)
    padded = math.ceil(width / byte) * byte
    return mult_a, math.ceil(mult_a * padded / o.unit)


def option_cost(
    o: Option,
    depth: int,
    width: int,
    *,
    shared_address: bool,
    rom: bool = False,
    transparent: bool = False,
) -> float:
    """memory_libmap's cost of a ``depth`` x ``width`` memory on ``o`` (module docstring)."""
    mult_a, repl = _geometry(o, depth, width, rom)
    cost = (o.cost - o.widthscale) * repl + o.widthscale * mult_a * width / o.unit
    cost += FACTOR_MUX * (mult_a - 1) * width
    if mult_a > 1 and not rom:
        cost += FACTOR_DEMUX * mult_a
    shares = shared_address and o.shared_read and not rom
    emu = (0 if shares else 1) + (TRANSPARENT_POINTS if transparent else 0)
    return cost + FACTOR_EMU * emu


def _fits(o: Option, *, sync_read: bool, shared_address: bool, rom: bool) -> bool:
    if o.block and not sync_read:
        return False  # block RAM reads are registered
    if not o.block and rom:
        return False  # prune_rom: ROMs are not LUT RAM (streamfold builds them as logic)
    return o.separate_read or (shared_address and o.shared_read)  # single port: one address


# A pure function of its (hashable) arguments, asked again for the same memory by every
# resource estimate (LUTs, LUTRAM, BRAM, the MVAU's read-mux feature) of every folding a search
# tries: kept.
@functools.lru_cache(maxsize=65536)
def choose(
    family: Family,
    depth: int,
    width: int,
    *,
    style: str = "auto",
    sync_read: bool = False,
    shared_address: bool = False,
    rom: bool = False,
    transparent: bool = False,
) -> Mapping:
    """The mapping memory_libmap picks (``style``: "auto" (no ram_style), "distributed" or
    "block"); flip-flops when ``style`` is "auto" and nothing costs less than one per bit.

    ``transparent``: an asynchronous read at a registered address (the blocks' output FIFOs,
    ``fifo[rptr]``): Yosys' memory_dff moves the address register into the read port, which
    then reads synchronously and must see a write of the same cycle, so every primitive
    needs soft transparency logic (3 points). Measured on sf_mvau's FIFO alone: 2 x 11 is
    flip-flops on xc7 (SDP 14.8 + 2 + 6 > 22) and 3 TRELLIS_DPR16X4 on ECP5 (12 + 2 + 6 <
    22); 3 x 4 is flip-flops on both (ECP5: 12 = 12, a tie)."""
    sync_read = sync_read or transparent
    if depth < 1 or width < 1:
        return Mapping(None, 0, 0, 0, 0.0)
    best: Mapping | None = None
    if style == "auto":
        best = Mapping(None, 0, 0, 0, float(int(depth * width * (1 / 16 if rom else 1))))
    for o in _library(family):
        if o.block != (style == "block") and style != "auto":
            continue
        if not _fits(o, sync_read=sync_read, shared_address=shared_address, rom=rom):
            continue
        cost = option_cost(
            o, depth, width, shared_address=shared_address, rom=rom, transparent=transparent
        )
        if best is not None and (cost, o.rank) >= (best.cost, _rank(best)):
            continue  # flip-flops keep ties; between primitives the tie order (_ranked)
        mult_a, repl = _geometry(o, depth, width, rom)
        luts = o.luts_whole * repl + o.luts_per_bit * mult_a * width
        best = Mapping(o, repl, luts, o.brams * repl, cost, mult_a)
    if best is None:
        raise ValueError(f"no {style} mapping of a {depth} x {width} memory on {family.value}")
    return best
