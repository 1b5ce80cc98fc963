"""The MO engine's resources on Xilinx 7-series / UltraScale+ (LUT, FF, RAMB18, DSP) as a
function of its RTL parameters (``rtl.engine_parameters``: SIMD, PE, element widths, memory
depths, output stage), as Yosys ``synth_xilinx`` maps ``verilog/sf_mo_engine.sv``.

Block RAM is structural and exact: every on-chip memory is a set of 64-bit RAMs
(``sf_mo_ram``); one deeper than ``LUTRAM_MAX`` words is block RAM, one RAMB36 (2 RAMB18) per
512 words (Yosys maps 512 x 72 and 1024 x 36 pairs, and takes a RAMB36 for a 32-bit memory
too), else LUTRAM (RAM32M / RAM64M: 4 LUTs for 6 / 3 bits of 32 / 64 words). Parameter words
no output stage reads are not built.

Logic is counted structurally in bits (``logic_terms``: the multipliers, the registered adder
tree, the lane unpacking and row selection, the output stage's comparators and packing, the
pipeline registers) and scaled by constants fitted on Yosys synthesis runs of the engine
(``LUT_PER_TERM``, ``FF_PER_TERM`` and the fixed control logic ``LUT_BASE``, ``FF_BASE``;
docs/mo.md has the runs). No DSP is used (``synth_xilinx -nodsp``, the flow's default).
"""

from __future__ import annotations

from dataclasses import dataclass

from streamfold.synth.resources import Resources

LUTRAM_MAX = 64  # sf_mo_ram: deeper memories are block RAM


@dataclass(frozen=True, slots=True)
class EngineMemory:
    """``count`` 64-bit RAMs of ``depth`` words, ``bits`` of each word used."""

    name: str
    count: int
    depth: int
    bits: int = 64


def memories(p: dict[str, int]) -> tuple[EngineMemory, ...]:
    simd, pe = p["SIMD"], p["PE"]
    block = max(simd, pe)
    param_words = max(p["MAX_LEVELS"], 3 if p["MULSHIFT"] else 1)  # 32-bit words read
    full, part = divmod(32 * param_words, 64)
    params = [EngineMemory("parameters", block * full, p["P_DEPTH"])]
    if part:
        params.append(EngineMemory("parameters", block, p["P_DEPTH"], part))
    return (
        EngineMemory("input map", max(64, simd * p["ABITS"]) // 64, p["IN_DEPTH"]),
        EngineMemory("weights", max(64, pe * simd * p["WBITS"]) // 64, 2 * p["W_DEPTH"]),
        EngineMemory("output map", max(64, block * p["OBITS"]) // 64, p["OUT_DEPTH"]),
        *params,
        EngineMemory("write FIFO", 1, 2),
    )


def ram18(m: EngineMemory) -> int:
    """RAMB18s of one memory of ``m``."""
    if m.depth <= LUTRAM_MAX:
        return 0
    return 2 * -(-m.depth // 512)  # Yosys takes RAMB36s, also for 32-bit words


def lutram_luts(m: EngineMemory) -> int:
    """LUTs of one LUTRAM memory of ``m`` (0 when it is block RAM)."""
    if m.depth <= LUTRAM_MAX:
        return 4 * -(-m.bits // (6 if m.depth <= 32 else 3))
    return 0


def _log2(n: int) -> int:
    return (n - 1).bit_length()


def logic_terms(p: dict[str, int]) -> tuple[int, int]:
    """(LUT terms, FF terms): bits of logic and of registers, counted from the RTL."""
    simd, pe = p["SIMD"], p["PE"]
    block = max(simd, pe)
    xw, wv = p["ABITS"] + 1, p["WBITS"] + 1
    tw = xw + wv + _log2(simd)
    iw = max(64, simd * p["ABITS"])
    ow = max(64, block * p["OBITS"])
    macs = pe * simd
    levels = p["MAX_LEVELS"]
    lut = (
        macs * xw * wv  # products
        + pe * (simd - 1) * tw  # adder tree
        + pe * 32  # accumulators
        + simd * 32  # pool lanes
        + iw * max(1, _log2(iw // simd))  # row select (shifter)
        + simd * xw * 3  # lane unpack, mask, padding
        + macs * wv  # weight decode
        + block * 32 * levels  # threshold comparators
        + block * p["OBITS"]  # output value select
        + ow * 2  # chunk packing and word placement
        + (block * 64 * 4 if p["MULSHIFT"] else 0)  # multiply-shift (LUT multipliers)
    )
    ff = (
        macs * (xw + wv)  # stage-2 lanes... weights
        + pe * (2 * simd - 1) * tw  # tree registers
        + pe * 32
        + simd * 32
        + block * 32  # accumulators, pool lanes, chunk
        + block * (64 + p["OBITS"])  # output stage registers
        + (block * 64 * 3 if p["MULSHIFT"] else 0)
    )
    return lut, ff


# Least squares through two Yosys synth_xilinx runs of sf_mo_top at CNV-W1A1's maxima
# (YoWASP Yosys 0.70, 2026-12-04; docs/mo.md "Resources"): SIMD 8 x PE 8 (9,405 LUT,
# 5,330 FF) and SIMD 32 x PE 16 (32,857 LUT, 21,338 FF). Checked on two more runs
# (tests/mo/test_mo_resources.py): SIMD 16 x PE 16 and a SIMD 4 x PE 2 engine.
LUT_BASE = 4852  # control: state machine, DMA, descriptor, counters, AXI-Lite block
LUT_PER_TERM = 1.1359
FF_BASE = 2701
FF_PER_TERM = 0.6933
SRL_LUTS = 41  # SRL16E shift registers Yosys makes of the pipeline's tag chains (39-42)


def engine_resources(p: dict[str, int]) -> Resources:
    """LUT (LUTRAM included), FF, RAMB18 and DSP of ``sf_mo_top`` with parameters ``p``."""
    mems = memories(p)
    lut_terms, ff_terms = logic_terms(p)
    lutram = sum(m.count * lutram_luts(m) for m in mems) + SRL_LUTS
    return Resources(
        lut=round(LUT_BASE + LUT_PER_TERM * lut_terms) + lutram,
        ff=round(FF_BASE + FF_PER_TERM * ff_terms),
        lutram=lutram,
        bram=sum(m.count * ram18(m) for m in mems),
        dsp=0,
    )
