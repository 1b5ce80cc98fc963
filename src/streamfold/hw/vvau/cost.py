"""Cycle and resource cost of sf_vvau.v (resources: fitted constants in
streamfold/cost/calibration.json, from bench/calibrate.py against Yosys)."""

from __future__ import annotations

from dataclasses import fields, replace

from streamfold.cost.devices import Family
from streamfold.cost.resources import (
    MemKind,
    Memory,
    auto_memory,
    combine,
    rom_column_counts,
    rom_luts,
)
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.thresholding.image import clamp_thresholds, threshold_dtype
from streamfold.hw.vvau.params import VvauParams
from streamfold.hw.vvau.rtl import weight_words
from streamfold.ir.dtypes import narrowest
from streamfold.synth.resources import Resources

# Registers between issuing a step and offering its output word, from sf_vvau.v's pipeline
# (as sf_mvau.v): operands 1, products 1, adder tree clog2(SIMD), accumulator 1, output
# register (thresholds compared) 1, output FIFO write 1. The first output word completes with
# the first step of the last kernel fold, (SF - 1) * NF steps after the first.
PIPELINE_CYCLES = 5
# Shift registers of at least this many stages without reset become SRL16E LUTs (Yosys
# synth_xilinx: shregmap -minlen 3), as in hw/mvau/cost.py.
SRL_MIN_STAGES = 3


def folds(params: VvauParams, folding: NodeFolding) -> tuple[int, int]:
    """(NF, SF): channel folds and kernel folds."""
    return params.channels // folding.pe, params.kernel // folding.simd


def tree_levels(simd: int) -> int:
    """Registered adder-tree levels over SIMD lanes: ceil(log2(SIMD))."""
    return (simd - 1).bit_length()


def cycles(params: VvauParams, folding: NodeFolding) -> int:
    """Initiation interval: one input word per cycle, NF * SF words per output pixel (per
    mmv pixels: sf_vvau_mmv's units work in lock step)."""
    nf, sf = folds(params, folding)
    return params.pixels // folding.mmv * nf * sf


def latency(params: VvauParams, folding: NodeFolding) -> int:
    """Cycles from the first input handshake to the first output handshake (no stalls)."""
    nf, sf = folds(params, folding)
    return (sf - 1) * nf + PIPELINE_CYCLES + tree_levels(folding.simd)


def fifo_depth(params: VvauParams, folding: NodeFolding) -> int:
    """DEPTH of sf_vvau.v's output FIFO (the derivation is in its header)."""
    nf, sf = folds(params, folding)
    pipe, period = PIPELINE_CYCLES + tree_levels(folding.simd), nf * sf
    return (pipe // period) * nf + min(pipe % period, nf) + 1


# ------------------------------------------------------------------------------- resources
# sf_vvau.v's registers and memories, derived from its parameters as the RTL does. The fitted
# features are few (the calibration grid is small): the datapath bits, ROM LUTs and control.
def _counter_bits(n: int) -> int:
    return (n - 1).bit_length() if n > 1 else 0


def _product_bits(params: VvauParams) -> int:
    """Bits of the exact product of an input and a weight (XNOR: 1), at most ACC_BITS."""
    x, w = params.in_dtype, params.weight_dtype
    if x.bipolar and w.bipolar:
        return 1
    corners = [a * b for a in (x.min, x.max) for b in (w.min, w.max)]
    return min(narrowest(min(corners), max(corners)).bits, params.acc_dtype.bits)


def _rom_columns(params: VvauParams, folding: NodeFolding) -> tuple[int, int, int, int, int]:
    """Varying bit columns of the weight and threshold images, (distinct, all) each (see
    cost.resources), and the threshold bits."""
    w_cols, w_all = rom_column_counts(weight_words(params, folding), params.weight_dtype.bits)
    if params.thresholds is None:
        return w_cols, w_all, 0, 0, 1
    acc = params.acc_dtype
    t_bits = threshold_dtype(acc.min, acc.max).bits
    t = clamp_thresholds(params.thresholds.array, acc.min, acc.max)
    rows = t.repeat(params.channels, axis=0) if t.shape[0] == 1 else t
    words = rows.reshape(params.channels // folding.pe, folding.pe * t.shape[1])
    t_cols, t_all = rom_column_counts(words, t_bits)
    return w_cols, w_all, t_cols, t_all, t_bits


def _tree_bits(params: VvauParams, folding: NodeFolding) -> tuple[int, int]:
    """(adder bits, register bits) of one PE's adder tree."""
    leaf, acc = _product_bits(params), params.acc_dtype.bits
    adders = regs = 0
    for level in range(1, tree_levels(folding.simd) + 1):
        width = min(leaf + level, acc)
        nodes = (folding.simd + (1 << level) - 1) >> level
        adders += (((folding.simd + (1 << (level - 1)) - 1) >> (level - 1)) // 2) * width
        regs += nodes * width
    return adders, regs


def _control_bits(params: VvauParams, folding: NodeFolding) -> int:
    nf, sf = folds(params, folding)
    depth = fifo_depth(params, folding)
    count = depth.bit_length()
    return (
        _counter_bits(nf)
        + _counter_bits(sf)
        + _counter_bits(nf * sf)
        + 2 * count
        + 2 * (_counter_bits(depth))
    )


def lut_features(params: VvauParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """Products, adder trees and accumulators, threshold comparators, ROMs in logic, control."""
    nf, sf = folds(params, folding)
    pe, simd = folding.pe, folding.simd
    x, w = params.in_dtype, params.weight_dtype
    if x.bipolar and w.bipolar:
        product = 1
    elif x.bipolar or w.bipolar:
        product = (w.bits if x.bipolar else x.bits) + 1  # a conditional negation
    else:
        product = x.bits * w.bits
    adders, _ = _tree_bits(params, folding)
    acc = params.acc_dtype.bits
    n = params.n_thresholds
    w_cols, _, t_cols, _, t_bits = _rom_columns(params, folding)
    rom = 0
    if folding.mem_style is not MemStyle.BLOCK:
        rom = w_cols * rom_luts(nf * sf) + t_cols * rom_luts(nf)
    constant = nf * sf == 1  # one weight word: the products are by constants
    return {
        "const": 1.0,
        "control_bits": _control_bits(params, folding),
        "product_bits": 0 if constant else pe * simd * product,
        "const_product_bits": pe * simd * product if constant else 0,
        "adder_bits": pe * (adders + acc),
        "compare_bits": pe * n * max(acc + 1, t_bits),
        "rom_luts": rom,
    }


def ff_features(params: VvauParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """Register bits of sf_vvau.v (memories built from flip-flops included)."""
    pe, simd = folding.pe, folding.simd
    stages = 2 + tree_levels(simd)
    _, tree = _tree_bits(params, folding)
    acc = params.acc_dtype.bits
    w_cols, _, t_cols, _, _ = _rom_columns(params, folding)
    regs = _control_bits(params, folding) + stages + 2  # + valid_p, done_q, out_valid
    if stages < SRL_MIN_STAGES:
        regs += stages * _control_chains(params, folding)
    regs += pe * simd * params.in_dtype.bits  # x1
    regs += pe * simd * _product_bits(params) + pe * tree  # products and tree
    regs += pe * acc + pe * params.out_dtype.bits  # res_q, out_q
    if folding.mem_style is not MemStyle.BLOCK:
        regs += w_cols + t_cols
    regs -= pe * sum(length * bits for length, bits in _pass_chains(params, folding))  # SRLs
    for mem in _buffers(params, folding):
        if mem.kind is MemKind.FLIPFLOPS:
            regs += mem.depth_words * mem.width_bits
    return {"const": 1.0, "register_bits": regs}


def _buffers(params: VvauParams, folding: NodeFolding) -> tuple[Memory, ...]:
    """The output FIFO and the accumulator memory; Yosys chooses their style (one word of
    accumulators is registers: measured, bench/calibrate.py vvau points with PE = channels)."""
    nf, _ = folds(params, folding)
    fifo = auto_memory(
        fifo_depth(params, folding), folding.pe * params.out_dtype.bits, transparent=True
    )
    width = folding.pe * params.acc_dtype.bits
    if nf == 1:
        return (fifo, Memory(1, width, MemKind.FLIPFLOPS))
    return (fifo, auto_memory(nf, width, transparent=True))  # accm[nf_cp]: nf_cp a register


def _control_chains(params: VvauParams, folding: NodeFolding) -> int:
    """Control shift registers of CP stages without reset: first_p and last_p (used with
    several kernel folds) and the nf_p bits (used with several channel folds)."""
    nf, sf = folds(params, folding)
    return (2 if sf > 1 else 0) + _counter_bits(nf)


def _pass_chains(params: VvauParams, folding: NodeFolding) -> list[tuple[int, int]]:
    """(registers, bits) of each delay chain in one PE's adder tree that becomes a shift
    register (as hw/mvau/cost.py: with SIMD not a power of two, the last node of a level with
    an odd node count passes through). Width: the product's real bits plus one (measured on
    the calibration point 8,9,u4,i4,u4,8,9,registers: 9 SRL16E per PE)."""
    levels = tree_levels(folding.simd)
    bits = min(_product_bits(params) + 1, params.acc_dtype.bits)
    chains, run = [], 0
    for level in range(1, levels + 2):
        nodes = (folding.simd + (1 << (level - 1)) - 1) >> (level - 1)
        if level <= levels and nodes % 2:
            run += 1
            continue
        if run + 1 >= SRL_MIN_STAGES:
            start = level - 1 - run
            chains.append((run + 1, min(bits + start, params.acc_dtype.bits)))
        run = 0
    return chains


def memories(params: VvauParams, folding: NodeFolding) -> tuple[Memory, ...]:
    """The buffers, control and tree shift registers, and weights and thresholds in block RAM
    with ``MemStyle.BLOCK``."""
    out = list(_buffers(params, folding))
    stages = 2 + tree_levels(folding.simd)
    chains = _control_chains(params, folding)
    if stages >= SRL_MIN_STAGES and chains:
        out.append(Memory(stages, chains, MemKind.SRL))
    for length, bits in _pass_chains(params, folding):
        out.append(Memory(length, folding.pe * bits, MemKind.SRL))
    if folding.mem_style is MemStyle.BLOCK:
        nf, sf = folds(params, folding)
        _, w_all, _, t_all, _ = _rom_columns(params, folding)
        out.append(Memory(nf * sf, w_all, MemKind.BLOCK, rom=True))
        if params.thresholds is not None:
            out.append(Memory(nf, t_all, MemKind.BLOCK, rom=True))
    return tuple(out)


def resources(params: VvauParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF/LUTRAM/BRAM/DSP of sf_vvau for ``family`` (calibrated; see cost.resources);
    at mmv > 1, mmv lock-stepped units with their own memories (sf_vvau_mmv)."""
    if folding.mmv > 1:
        unit = resources(params, replace(folding, mmv=1), family)
        return Resources(*(getattr(unit, f.name) * folding.mmv for f in fields(unit)))
    return combine(
        "vvau",
        family,
        lut_features(params, folding, family),
        ff_features(params, folding, family),
        memories(params, folding),
    )
