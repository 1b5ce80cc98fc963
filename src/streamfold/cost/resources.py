"""Resource estimates (LUT, FF, LUTRAM, BRAM, DSP) of blocks: the primitives every block's
``cost.py`` uses (whole designs: ``cost.design_cost``).

Each block's ``cost.py`` describes its RTL analytically: *features* (counts derived from the RTL
structure, such as product bits, adder-tree bits or register bits) and *memories* (depth x
width, and whether they become block RAM, LUT RAM, shift registers or logic). This module turns
them into ``Resources``:

- LUT and FF: a weighted sum of the features, with one constant per feature, block, resource
  and family fitted to Yosys by ``bench/calibrate.py`` and stored in ``calibration.json``
  (each constant with the run that produced it). LUTs used as memory are added to LUT.
- LUTRAM and BRAM: from the memory geometry, its ports and the family's primitives, as Yosys'
  memory_libmap chooses them (``cost.memlib``: its cost rule, measured exact per memory and
  per stage); not fitted.
- DSP: 0; streamfold synthesises with ``-nodsp`` (multipliers are LUT logic).

Xilinx 7-series / UltraScale+ primitives (UG474 "7 Series FPGAs CLB User Guide", ch. 2,
distributed RAM; UG473 "7 Series FPGAs Memory Resources", ch. 1, block RAM), as Yosys
``memory_libmap`` uses them: RAM32M / RAM64M are 4 LUTs holding 32 x 6 / 64 x 3 bits with one
write and one read address (32 x 8 / 64 x 4 when both share one address), RAM128X1D is 4 LUTs
of 128 x 1; SRL16E is one LUT holding a 16-deep shift register; a RAMB18 holds 18 Kb as
512 x 36, 1K x 18, 2K x 9, 4K x 4, 8K x 2 or 16K x 1 (simple dual port, the widest at 512).
"""

from __future__ import annotations

import enum
import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from streamfold.cost import memlib
from streamfold.cost.devices import Family
from streamfold.errors import StreamfoldError
from streamfold.synth.resources import Resources

if TYPE_CHECKING:
    pass

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
# UltraScale+ CLBs have the same LUT6 / FF / distributed-RAM structure as 7-series (UG574 ch. 1)
# and Yosys maps both with synth_xilinx: until a separate fit exists, they share constants.
ALIASES = {Family.XILINX_USP: Family.XILINX7}

Features = Mapping[str, float]


class MemKind(enum.Enum):
    """How a memory is built after synthesis."""

    FLIPFLOPS = "flipflops"  # registers and a read mux: costed by the block's features
    BLOCK = "block"  # block RAM (RAMB18 / RAMB36)
    LUTRAM = "lutram"  # distributed RAM
    SRL = "srl"  # shift register in LUTs (depth = chain length)
    LOGIC = "logic"  # ROM folded into logic: costed by the block's LUT features


@dataclass(frozen=True)
class Memory:
    """One memory of a block: ``depth_words`` x ``width_bits``, and how it is built."""

    depth_words: int
    width_bits: int
    kind: MemKind
    shared_address: bool = False  # read and write use one address (single-port LUT RAM)
    # no ram_style attribute: synthesis chooses (``auto_memory``); a LUTRAM memory with a
    # registered read may then become block RAM (``cost.memlib``: on ECP5 from about 400 x 1)
    auto: bool = False
    sync_read: bool = False  # the read is registered (block RAM can hold it)
    rom: bool = False  # no write port (a BLOCK ROM: weights, thresholds)
    transparent: bool = False  # read at a registered address, sees same-cycle writes (memlib)


# RAMB18 aspect ratios (depth, width): UG473 Table 1-7 (simple dual port for 512 x 36).
BRAM18_SHAPES = ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1))


def bram18(depth_words: int, width_bits: int) -> int:
    """RAMB18s for one memory: the cheapest single aspect ratio, tiles side by side."""
    return min(math.ceil(depth_words / d) * math.ceil(width_bits / w) for d, w in BRAM18_SHAPES)


def bram_banks(depth_words: int, width_bits: int) -> tuple[int, int]:
    """(banks, words per bank) that put a memory deeper than one block RAM side by side, one
    word per block row: banks as deep as the narrowest aspect ratio that holds a word (wider
    words: the deepest of the cheapest, ``bram18``), a power of two; (1, depth_words) when
    one block is deep enough. Packed side by side into one memory of that many rows, the banks
    take no more blocks than ``bram18`` counts for the whole memory and are read without a
    select mux after the blocks: Yosys synth_ecp5 otherwise packs several words into a wide
    block row (using the parity bits: 9,216 x 2 bits in one 1K x 18 DP16KD) or stacks blocks
    in depth, and selects the word with LUTs after the read."""
    fits = [d for d, w in BRAM18_SHAPES if w >= width_bits]
    if fits:
        depth = max(fits)
    else:
        cost = {
            s: math.ceil(depth_words / s[0]) * math.ceil(width_bits / s[1]) for s in BRAM18_SHAPES
        }
        depth = max(d for (d, w), c in cost.items() if c == min(cost.values()))
    if depth_words <= depth:
        return 1, depth_words
    return math.ceil(depth_words / depth), depth


def lutram_luts(depth_words: int, width_bits: int, shared_address: bool = False) -> int:
    """LUTs of a distributed RAM (ram_style "distributed") on Xilinx: the primitive Yosys'
    memory_libmap finds cheapest (``cost.memlib``; e.g. 255 x 1 with two addresses is 4 RAM64M
    of 64 x 3, 576 x 1 at one address 5 RAM128X1S)."""
    return memlib.choose(
        Family.XILINX7, depth_words, width_bits, style="distributed",
        shared_address=shared_address,
    ).luts  # fmt: skip


def srl_luts(length: int, chains: int) -> int:
    """LUTs of ``chains`` shift registers of ``length`` stages (SRL16E / SRLC32E)."""
    return chains * math.ceil(length / 32) if length > 16 else chains


def auto_memory(
    depth_words: int,
    width_bits: int,
    shared_address: bool = False,
    sync_read: bool = False,
    transparent: bool = False,
) -> Memory:
    """A memory whose style synthesis chooses (no ram_style attribute). Its kind is Yosys
    synth_xilinx's choice (``cost.memlib``: flip-flops when no primitive costs less than its
    bits), which the blocks' LUT and FF features follow; its LUTRAM and BRAM are counted per
    family (``mapping``: on ECP5 a large buffer with a registered read is block RAM)."""
    found = memlib.choose(
        Family.XILINX7, depth_words, width_bits, shared_address=shared_address,
        sync_read=sync_read, transparent=transparent,
    )  # fmt: skip
    kind = MemKind.FLIPFLOPS if found.option is None else MemKind.LUTRAM
    return Memory(
        depth_words, width_bits, kind, shared_address, auto=True, sync_read=sync_read,
        transparent=transparent,
    )  # fmt: skip


def mapping(m: Memory, family: Family) -> memlib.Mapping | None:
    """The primitives a memory becomes on ``family`` (``cost.memlib``): an auto-style one
    (``auto_memory``) whichever its kind, as that family's synthesis chooses (flip-flops: no
    primitive); a LUTRAM or BLOCK one in its style. None for the other kinds (flip-flops,
    shift registers, logic ROMs: costed elsewhere)."""
    if m.auto:
        style = "auto"
    elif m.kind is MemKind.LUTRAM:
        style = "distributed"
    elif m.kind is MemKind.BLOCK:
        style = "block"
    else:
        return None
    return memlib.choose(
        family, m.depth_words, m.width_bits, style=style, sync_read=m.sync_read or style == "block",
        shared_address=m.shared_address, rom=m.rom, transparent=m.transparent,
    )  # fmt: skip


def memory_luts(memories: tuple[Memory, ...], family: Family = Family.XILINX7) -> int:
    """LUTs used as memory (LUT RAM; on Xilinx also shift registers)."""
    total = 0
    for m in memories:
        found = mapping(m, family)
        if found is not None:
            total += found.luts
        elif m.kind is MemKind.SRL and family is not Family.ECP5:
            total += srl_luts(m.depth_words, m.width_bits)
    return total


def memory_ffs(memories: tuple[Memory, ...], family: Family = Family.XILINX7) -> int:
    """Flip-flops of shift registers on a family without SRL primitives (ECP5)."""
    if family is not Family.ECP5:
        return 0
    return sum(m.depth_words * m.width_bits for m in memories if m.kind is MemKind.SRL)


def memory_bram(memories: tuple[Memory, ...], family: Family = Family.XILINX7) -> int:
    """RAMB18 equivalents (Xilinx) or DP16KD (ECP5) of the memories ``cost.memlib`` maps to
    block RAM: the BLOCK ones and, on ECP5, large auto-style buffers with a registered read."""
    return sum(found.brams for m in memories if (found := mapping(m, family)) is not None)


# ------------------------------------------------------------------------------- calibration
@functools.cache
def calibration() -> dict[str, Any]:
    """The committed constants (``bench/calibrate.py --write``)."""
    data: dict[str, Any] = json.loads(CALIBRATION_FILE.read_text())
    return data


def constants(block: str, resource: str, family: Family) -> dict[str, float]:
    """Fitted constants of ``block``'s ``resource`` ("lut" or "ff") for ``family``."""
    fam = ALIASES.get(family, family)
    try:
        entry = calibration()["families"][fam.value]["blocks"][block][resource]
    except KeyError:
        raise StreamfoldError(
            f"resources: {block} {resource} must be calibrated for {family.value} "
            f"(run bench/calibrate.py --family {fam.value} --write), and is not"
        ) from None
    return {name: float(c["value"]) for name, c in entry["constants"].items()}


def fitted(block: str, resource: str, family: Family, features: Features) -> int:
    """The calibrated weighted sum of ``features`` (missing constants weigh 0), >= 0."""
    consts = constants(block, resource, family)
    return max(0, round(sum(consts.get(name, 0.0) * value for name, value in features.items())))


def combine(
    block: str,
    family: Family,
    lut_features: Features,
    ff_features: Features,
    memories: tuple[Memory, ...],
) -> Resources:
    """A block's resources from its analytic description (see the module docstring)."""
    ram = memory_luts(memories, family)
    return Resources(
        lut=fitted(block, "lut", family, lut_features) + ram,
        ff=fitted(block, "ff", family, ff_features) + memory_ffs(memories, family),
        lutram=ram,
        bram=memory_bram(memories, family),
        dsp=0,
    )


def rom_columns(words: npt.NDArray[Any], bits: int, distinct: bool = True) -> int:
    """Bit columns of a ROM image that are not constant: the ones synthesis keeps (Yosys
    drops constant columns; with ``distinct``, identical columns count once, as their logic
    and output registers merge). ``words[address, element]``, two's complement in ``bits``
    bits per element."""
    distinct_columns, varying_columns = rom_column_counts(words, bits)
    return distinct_columns if distinct else varying_columns


def rom_column_counts(words: npt.NDArray[Any], bits: int) -> tuple[int, int]:
    """(distinct, all) varying bit columns of a ROM image (``rom_columns`` with and without
    ``distinct``), in one pass: each column's bits over the addresses are packed into bytes and
    compared as one opaque value, so the cost is a sort of the columns, not of their bits."""
    w = np.asarray(words, dtype=np.int64)
    if w.size == 0 or w.shape[0] < 2:
        return 0, 0
    shifts = np.arange(bits, dtype=np.int64)
    # [element, bit, address]
    planes = ((w.T[:, None, :] >> shifts[None, :, None]) & 1).astype(np.uint8)
    planes = planes.reshape(-1, w.shape[0])
    varying = planes[planes.min(axis=1) != planes.max(axis=1)]
    return distinct_rows(np.packbits(varying, axis=1)), int(varying.shape[0])


def distinct_rows(rows: npt.NDArray[Any]) -> int:
    """Distinct rows of a 2-D array, compared byte for byte (equal to
    ``np.unique(rows, axis=0).shape[0]`` for an integer array, without its per-column cost)."""
    return len(first_distinct_rows(rows))


def first_distinct_rows(rows: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    """The index of each distinct row's first occurrence in a 2-D array, ascending (rows
    compared byte for byte, as ``distinct_rows`` counts them)."""
    if rows.shape[0] <= 1:
        return np.arange(rows.shape[0])
    flat = np.ascontiguousarray(rows)
    width = flat.dtype.itemsize * flat.shape[1]
    if width == 0:
        return np.arange(1)
    _, first = np.unique(flat.view(np.dtype((np.void, width))).ravel(), return_index=True)
    return np.sort(first)


def rom_luts(depth_words: int) -> int:
    """LUTs of one ROM column of ``depth_words`` words built from logic: one per 16 words.

    Not the one LUT6 per 64 words a 6-input LUT could hold: Yosys' memory_map builds a mux
    tree that ABC maps at about four address bits per LUT, from 16 to 2048 words (fitted by
    bench/calibrate.py: ceil(depth / 16) gives 3.7 % LUT MAPE on the MVAU grid and 2.4 % on
    the thresholding grid; ceil(depth / 64) 7.9 % and 14.6 %).
    """
    return 0 if depth_words <= 1 else math.ceil(depth_words / 16)
