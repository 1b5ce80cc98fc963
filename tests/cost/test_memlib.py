"""L0: cost.memlib, Yosys memory_libmap's choice of RAM primitive, against counts measured with
Yosys 0.70 (YoWASP) on one memory alone (bench/memlib_probe.py builds the same modules; run
2026-12-04 on a 2-core Intel Xeon, shared):

- ``ibuf``: sf_mvau's input replay buffer, no ram_style, written and read at one address,
  registered read (``if (we) m[a] <= d; q <= m[a];``);
- ``afifo``: the blocks' output FIFOs, no ram_style, two addresses, asynchronous read;
- ``dfifo``: sf_fifo's buffer, ram_style "distributed", two addresses, registered read with
  enable and a bypass;
- ``brom``: a weight / threshold ROM with ram_style "block", registered read, random image;
- ``rfifo`` / ``racc``: an output FIFO read at a registered pointer / an accumulator read and
  written at a registered fold counter (no ram_style).
"""

from __future__ import annotations

import pytest

from streamfold.cost.devices import Family
from streamfold.cost.memlib import choose
from streamfold.cost.resources import MemKind, Memory, auto_memory, memory_bram, memory_luts

X7, E5 = Family.XILINX7, Family.ECP5
PATTERNS = {
    "ibuf": {"style": "auto", "sync_read": True, "shared_address": True},
    "afifo": {"style": "auto"},
    "acc": {"style": "auto", "shared_address": True},
    "rfifo": {"style": "auto", "transparent": True},  # fifo[rptr], rptr a register
    "racc": {"style": "auto", "transparent": True},  # acc[cf] read and written, cf a register
    "dfifo": {"style": "distributed", "sync_read": True},
    "bram": {"style": "block", "sync_read": True},
    "brom": {"style": "block", "sync_read": True, "rom": True},
}

# (pattern, family, depth, width, {cell: count}) as Yosys synth_xilinx / synth_ecp5 reported
MEASURED = [
    ("ibuf", E5, 16, 1, {"TRELLIS_DPR16X4": 1}),
    ("ibuf", E5, 64, 1, {"TRELLIS_DPR16X4": 4}),
    ("ibuf", E5, 96, 2, {"TRELLIS_DPR16X4": 6}),
    ("ibuf", E5, 128, 4, {"TRELLIS_DPR16X4": 8}),
    ("ibuf", E5, 256, 1, {"TRELLIS_DPR16X4": 16}),
    ("ibuf", E5, 400, 1, {"TRELLIS_DPR16X4": 25}),  # 126.5 < 128: the last LUT RAM
    ("ibuf", E5, 416, 1, {"DP16KD": 1}),  # 131.5 > 128
    ("ibuf", E5, 304, 4, {"TRELLIS_DPR16X4": 19}),
    ("ibuf", E5, 320, 4, {"DP16KD": 1}),
    ("ibuf", E5, 160, 8, {"TRELLIS_DPR16X4": 20}),
    ("ibuf", E5, 176, 8, {"DP16KD": 1}),
    ("ibuf", E5, 144, 9, {"DP16KD": 1}),
    ("ibuf", E5, 576, 1, {"DP16KD": 1}),
    ("ibuf", X7, 576, 1, {"RAM128X1S": 5}),
    ("afifo", X7, 2, 8, {"RAM32M": 2}),
    ("afifo", X7, 4, 8, {"RAM32M": 2}),
    ("afifo", X7, 16, 16, {"RAM32M": 3}),
    ("afifo", X7, 64, 3, {"RAM64M": 1}),
    ("afifo", E5, 3, 4, {"TRELLIS_DPR16X4": 1}),
    ("afifo", E5, 16, 16, {"TRELLIS_DPR16X4": 4}),
    ("afifo", E5, 64, 3, {"TRELLIS_DPR16X4": 4}),
    ("dfifo", X7, 9, 11, {"RAM32M": 2}),
    ("dfifo", X7, 31, 8, {"RAM32M": 2}),
    ("dfifo", X7, 63, 8, {"RAM64M": 3}),
    ("dfifo", X7, 100, 3, {"RAM64M": 2}),  # SDP 64 x 3 twice, not 3 RAM128X1D
    ("dfifo", X7, 255, 1, {"RAM64M": 4}),  # not 2 RAM128X1D
    ("dfifo", X7, 511, 1, {"RAM64M": 8}),
    ("dfifo", E5, 9, 11, {"TRELLIS_DPR16X4": 3}),
    ("dfifo", E5, 100, 3, {"TRELLIS_DPR16X4": 7}),
    ("dfifo", E5, 511, 1, {"TRELLIS_DPR16X4": 32}),
    ("brom", X7, 16384, 3, {"RAMB18E1": 3}),
    ("brom", X7, 2048, 5, {"RAMB18E1": 1}),
    ("brom", X7, 1024, 14, {"RAMB18E1": 1}),
    ("brom", E5, 16384, 3, {"DP16KD": 3}),
    ("brom", E5, 2048, 5, {"DP16KD": 1}),
    # registered read address: soft transparency decides flip-flops ({}) for tiny ones
    ("rfifo", X7, 2, 8, {}),
    ("rfifo", X7, 2, 11, {}),
    ("rfifo", X7, 3, 4, {}),
    ("rfifo", X7, 4, 2, {}),
    ("rfifo", X7, 2, 16, {"RAM32M": 3}),
    ("rfifo", X7, 2, 36, {"RAM32M": 6}),
    ("rfifo", E5, 2, 8, {}),  # 16 = 16: flip-flops keep the tie
    ("rfifo", E5, 2, 11, {"TRELLIS_DPR16X4": 3}),
    ("rfifo", E5, 3, 4, {}),
    ("rfifo", E5, 2, 16, {"TRELLIS_DPR16X4": 4}),
    ("rfifo", E5, 2, 36, {"TRELLIS_DPR16X4": 9}),
    # held out: predicted, then measured
    ("ibuf", X7, 100, 5, {"RAM128X1S": 5}),
    ("ibuf", X7, 1000, 2, {"RAM256X1S": 8}),
    ("ibuf", X7, 2304, 1, {"RAM256X1S": 9}),
    ("ibuf", X7, 48, 7, {"RAM64X1S": 7}),
    ("ibuf", X7, 600, 3, {"RAM128X1S": 15}),
    ("ibuf", E5, 100, 5, {"TRELLIS_DPR16X4": 14}),
    ("ibuf", E5, 1000, 2, {"DP16KD": 1}),
    ("ibuf", E5, 48, 7, {"TRELLIS_DPR16X4": 6}),
    ("dfifo", X7, 200, 5, {"RAM64M": 8}),
    ("dfifo", X7, 40, 20, {"RAM64M": 7}),
    ("dfifo", X7, 130, 2, {"RAM64M": 3}),
    ("dfifo", E5, 200, 5, {"TRELLIS_DPR16X4": 26}),
    ("dfifo", E5, 33, 5, {"TRELLIS_DPR16X4": 6}),
    ("acc", X7, 64, 12, {"RAM64X1S": 12}),
    ("acc", X7, 512, 8, {"RAM256X1S": 16}),
    ("acc", E5, 512, 8, {"TRELLIS_DPR16X4": 64}),
    ("racc", X7, 2, 8, {}),
    ("racc", X7, 4, 4, {"RAM32M": 1}),
    ("racc", X7, 64, 12, {"RAM64M": 4}),
    ("racc", X7, 512, 8, {"RAMB18E1": 1}),
    ("racc", E5, 3, 8, {"TRELLIS_DPR16X4": 2}),
    ("racc", E5, 512, 8, {"DP16KD": 1}),
    ("brom", X7, 5000, 7, {"RAMB36E1": 1}),
    ("brom", E5, 5000, 7, {"DP16KD": 2}),
]

LUTS = {"RAM32M": 4, "RAM64M": 4, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4}
LUTS |= {"RAM64X1D": 2, "RAM128X1D": 4, "TRELLIS_DPR16X4": 4}
BRAMS = {"RAMB18E1": 1, "RAMB36E1": 2, "DP16KD": 1}


@pytest.mark.parametrize(
    "pattern, family, depth, width, cells",
    [pytest.param(*m, id=f"{m[0]}-{m[1].value}-{m[2]}x{m[3]}") for m in MEASURED],
)
def test_choice_matches_yosys(
    pattern: str, family: Family, depth: int, width: int, cells: dict[str, int]
) -> None:
    found = choose(family, depth, width, **PATTERNS[pattern])  # type: ignore[arg-type]
    if not cells:  # flip-flops
        assert found.option is None and (found.luts, found.brams) == (0, 0)
        return
    assert found.option is not None
    ((cell, count),) = cells.items()
    assert found.option.name.split()[0] == cell
    assert found.luts == LUTS.get(cell, 0) * count
    assert found.brams == BRAMS.get(cell, 0) * count


def test_resources_count_through_memlib() -> None:
    """An auto-style buffer with a registered read is LUT RAM on Xilinx and block RAM on ECP5
    past the cost crossover; a distributed FIFO buffer counts its RAM64M."""
    ibuf = auto_memory(576, 1, shared_address=True, sync_read=True)
    assert ibuf.kind is MemKind.LUTRAM
    assert (memory_luts((ibuf,), X7), memory_bram((ibuf,), X7)) == (10, 0)
    assert (memory_luts((ibuf,), E5), memory_bram((ibuf,), E5)) == (0, 1)
    fifo = Memory(255, 1, MemKind.LUTRAM)
    assert memory_luts((fifo,), X7) == 16 and memory_luts((fifo,), E5) == 64
    # an asynchronous read never becomes block RAM, however deep
    deep = auto_memory(4096, 8)
    assert memory_bram((deep,), E5) == 0 and memory_luts((deep,), E5) > 0


def test_flipflops_win_ties_and_tiny_memories() -> None:
    assert choose(X7, 1, 1).option is None  # 1 bit: cost 1 beats any LUT RAM
    assert choose(E5, 2, 1).option is None


def test_block_style_needs_a_registered_read() -> None:
    with pytest.raises(ValueError, match="no block mapping"):
        choose(X7, 512, 8, style="block", sync_read=False)


@pytest.mark.parametrize(
    "depth, cell, count",
    [(1152, "RAM256X1S", 5), (260, "RAM128X1S", 3)],  # measured; ties at cost 44.5 and 14.5
)
def test_ties_go_to_the_later_option(depth: int, cell: str, count: int) -> None:
    found = choose(X7, depth, 1, **PATTERNS["ibuf"])  # type: ignore[arg-type]
    assert found.option is not None and found.option.name == cell
    assert found.luts == LUTS[cell] * count
