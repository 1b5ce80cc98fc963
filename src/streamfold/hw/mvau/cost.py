"""Cycle and resource cost of sf_mvau.v (resources: fitted constants in
streamfold/cost/calibration.json, from bench/calibrate.py against Yosys)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.cost.devices import Family
from streamfold.cost.resources import (
    MemKind,
    Memory,
    auto_memory,
    combine,
    distinct_rows,
    first_distinct_rows,
    mapping,
    memory_bram,
    memory_luts,
    rom_column_counts,
    rom_luts,
)
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.mulshift import cost as mulshift_cost
from streamfold.hw.mvau.params import (
    BANK_GROUP,
    MvauParams,
    bank_rows,
    bank_select_steps,
    input_prefetch,
    weight_banks,
)
from streamfold.hw.thresholding.image import clamp_thresholds, threshold_dtype
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.synth.resources import Resources

# Registers between issuing a step and offering its output word, from sf_mvau.v's pipeline:
# operands (memory read / input buffer) 1, with block RAM an operand register 1 (OPR: the
# block's output registered before the product; 2 with a banked weight memory, the row
# registered and then the bank selected), products 1, adder tree clog2(SIMD),
# accumulator 1, output register (thresholds compared) 1, output FIFO write 1. The first output
# word completes with the last step of neuron fold 0, which issues SF - 1 cycles after the first.
OPERAND_CYCLES = 1
PRODUCT_CYCLES = 1
ACCUMULATE_CYCLES = 1
OUTPUT_CYCLES = 1
FIFO_CYCLES = 1
MULSHIFT_CYCLES = 2  # the multiply-shift stage's product and sum registers (MS_STAGES)


def cycles(params: MvauParams, folding: NodeFolding) -> int:
    """Initiation interval: one (neuron fold, synapse fold) step per cycle, back to back, for
    each group of ``mmv`` of the frame's ``pixels`` input vectors (sf_mvau_mmv's units work
    in lock step)."""
    steps = (params.out_features // folding.pe) * (params.in_features // folding.simd)
    return params.pixels // folding.mmv * steps


def tree_levels(simd: int) -> int:
    """Registered adder-tree levels over SIMD lanes: ceil(log2(SIMD))."""
    return (simd - 1).bit_length()


def latency(params: MvauParams, folding: NodeFolding) -> int:
    """Cycles from the first input handshake to the first output handshake (no stalls)."""
    synapse_folds = params.in_features // folding.simd
    pipeline = (
        OPERAND_CYCLES
        + operand_registers(params, folding)
        + PRODUCT_CYCLES
        + tree_levels(folding.simd)
        + ACCUMULATE_CYCLES
        + OUTPUT_CYCLES
        + FIFO_CYCLES
        + (MULSHIFT_CYCLES if params.multiplier else 0)
    )
    return synapse_folds - 1 + pipeline


def operand_registers(params: MvauParams, folding: NodeFolding) -> int:
    """OPR in sf_mvau.v: 1 with block RAM (its read registered again before the product), 2
    with its weight memory banked (``params.weight_banks``: the row, then the bank), 3 past
    ``BANK_GROUP`` banks (the row, each group's bank, then the group)."""
    if folding.mem_style is not MemStyle.BLOCK:
        return 0
    return 1 + bank_select_steps(weight_banks(params, folding)[0])


# ------------------------------------------------------------------------------- resources
# sf_mvau.v's registers and memories, derived from its parameters as the RTL does. Counters and
# pointers that are constant (a single fold) are removed by synthesis and count 0 here. Shift
# registers of at least SRL_MIN_STAGES stages without reset become SRL16E LUTs (Yosys
# synth_xilinx: shregmap -minlen 3).
SRL_MIN_STAGES = 3
GROUP_CHAIN_STAGES = 3  # bank_q, bank_b, group_g: the bank index's group bits (_control_chains)


@dataclass(frozen=True)
class _Shape:
    nf: int
    sf: int
    levels: int  # D = clog2(SIMD)
    operand_stages: int  # OPR
    banks: int  # W_BANKS of a block-RAM weight memory (1: not banked)
    bank_bits: int  # its bank index bits (0: not banked)
    bank_rows: int  # its rows
    leaf_bits: int  # a product's real width (XNOR: 1), at most ACC_BITS
    acc_bits: int
    in_bits: int  # XW
    out_bits: int  # OW
    fifo_depth: int
    n: int  # thresholds per row
    t_bits: int
    # from the weight image [NF * SF, PE * SIMD] and the threshold image [NF, PE * n]:
    w_columns: int  # varying weight bit columns, identical ones once (rom_columns)
    w_columns_all: int  # varying weight bit columns (rom_columns, distinct=False)
    wb_columns_all: int  # varying bit columns of the banked weight image (its row register)
    t_columns: int  # the same for the thresholds (0 without thresholds)
    t_columns_all: int
    leaves: int  # product registers after merging (_leaf_columns)
    # leaves by the weight bits their products see: element b counts the leaves of b bits,
    # and the adder bits of the leaves whose weight never changes (_leaf_weight_bits)
    leaf_weight_bits: tuple[int, ...]
    const_leaf_adder_bits: int
    # (registers, bits, distinct PEs) of each adder-tree delay chain (_pass_chains)
    pass_chains: tuple[tuple[int, int, int], ...]
    # one weight word (NF = SF = 1), integer inputs: (adder bits, product register bits) of
    # the products by constants (_constant_products); None otherwise
    const_products: tuple[int, int] | None

    @property
    def stages(self) -> int:  # CP
        return 2 + self.operand_stages + self.levels

    def level_bits(self, level: int) -> int:
        return min(self.leaf_bits + level, self.acc_bits)


def _counter_bits(n: int) -> int:
    return (n - 1).bit_length() if n > 1 else 0


def _product_bits(params: MvauParams) -> int:
    """Bits of the exact product of an input and a weight (XNOR: 1), at most ACC_BITS."""
    x, w = params.in_dtype, params.weight_dtype
    if x.bipolar and w.bipolar:
        return 1
    corners = [a * b for a in (x.min, x.max) for b in (w.min, w.max)]
    return min(narrowest(min(corners), max(corners)).bits, params.acc_dtype.bits)


def _images(
    params: MvauParams, folding: NodeFolding
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None, int]:
    nf, sf = params.out_features // folding.pe, params.in_features // folding.simd
    w = params.weight.array.astype(np.int64)
    if params.weight_dtype.bipolar:
        w = (w + 1) // 2
    words = w.reshape(nf, folding.pe, sf, folding.simd).transpose(0, 2, 1, 3)
    weights = words.reshape(nf * sf, folding.pe * folding.simd)
    if params.thresholds is None:
        return weights, None, 1
    acc = params.acc_dtype
    t_dtype = threshold_dtype(acc.min, acc.max)
    t = params.thresholds.array
    full = np.broadcast_to(clamp_thresholds(t, acc.min, acc.max), (params.out_features, t.shape[1]))
    return weights, full.reshape(nf, folding.pe * t.shape[1]), t_dtype.bits


# _shape analyses the weight and threshold images (milliseconds to seconds for a large layer);
# the search asks for the same (layer, PE, SIMD) once per memory style and per feature set,
# so shapes are kept per (weight and threshold arrays by identity, types, PE, SIMD). The
# arrays are immutable (IntArray) and held by the entry, so an identity cannot be reused.
_SHAPES: OrderedDict[tuple[Any, ...], tuple[Any, Any, _Shape]] = OrderedDict()
_SHAPES_MAX = 4096


def _shape(params: MvauParams, folding: NodeFolding) -> _Shape:
    thr = params.thresholds
    key = (
        id(params.weight),
        id(thr),
        params.in_features,
        params.out_features,
        params.in_dtype,
        params.weight_dtype,
        params.acc_dtype,
        params.out_dtype,
        folding.pe,
        folding.simd,
        folding.mem_style,
    )
    hit = _SHAPES.get(key)
    if hit is not None and hit[0] is params.weight and hit[1] is thr:
        _SHAPES.move_to_end(key)
        return hit[2]
    shape = _new_shape(params, folding)
    _SHAPES[key] = (params.weight, thr, shape)
    if len(_SHAPES) > _SHAPES_MAX:
        _SHAPES.popitem(last=False)
    return shape


def _new_shape(params: MvauParams, folding: NodeFolding) -> _Shape:
    nf, sf = params.out_features // folding.pe, params.in_features // folding.simd
    levels = (folding.simd - 1).bit_length()
    opr = operand_registers(params, folding)
    banks, rows = weight_banks(params, folding)
    weights, thresholds, t_bits = _images(params, folding)
    w_cols, w_all = rom_column_counts(weights, params.weight_dtype.bits)
    wb_all = w_all
    if banks > 1:
        wb_all = rom_column_counts(bank_rows(weights, banks, rows), params.weight_dtype.bits)[1]
    t_cols, t_all = (0, 0) if thresholds is None else rom_column_counts(thresholds, t_bits)
    leaf_columns = _leaf_columns(weights, folding)
    leaf_bits, const_adders = _leaf_weight_bits(params, leaf_columns, folding)
    return _Shape(
        nf=nf,
        sf=sf,
        levels=levels,
        operand_stages=opr,
        banks=banks,
        bank_bits=(banks - 1).bit_length() if banks > 1 else 0,
        bank_rows=rows,
        leaf_bits=_product_bits(params),
        acc_bits=params.acc_dtype.bits,
        in_bits=folding.simd * params.in_dtype.bits,
        out_bits=folding.pe * params.out_dtype.bits,
        fifo_depth=(5 + opr + levels + sf - 1) // sf + 1,
        n=params.n_thresholds,
        t_bits=t_bits,
        w_columns=w_cols,
        w_columns_all=w_all,
        wb_columns_all=wb_all,
        t_columns=t_cols,
        t_columns_all=t_all,
        leaves=len(leaf_columns),
        leaf_weight_bits=leaf_bits,
        const_leaf_adder_bits=const_adders,
        pass_chains=tuple(
            (regs, bits, _chain_copies(weights, folding, level))
            for regs, bits, level in _pass_chains(params, folding)
        ),
        const_products=_constant_products(params) if nf * sf == 1 else None,
    )


def _csd_digits(c: int) -> tuple[int, int]:
    """(positive, negative) nonzero digits of ``c`` in canonical signed-digit form."""
    pos = neg = 0
    while c:
        if c & 1:
            digit = 2 - (c & 3)  # +1 or -1
            pos, neg = (pos + 1, neg) if digit > 0 else (pos, neg + 1)
            c -= digit
        c >>= 1
    return pos, neg


def _constant_product(x: IntType, c: int) -> tuple[int, int]:
    """x times the constant c: (adder bits, the product's real width). Shifts and one adder or
    subtractor per canonical-signed-digit of c after the first, plus a negation when every
    digit is negative; c = 0 is no logic."""
    if c == 0:
        return 0, 0
    width = narrowest(min(x.min * c, x.max * c), max(x.min * c, x.max * c)).bits
    pos, neg = _csd_digits(c)
    return (pos + neg - 1 + (1 if pos == 0 else 0)) * width, width


def _constant_products(params: MvauParams) -> tuple[int, int] | None:
    """With one weight word every weight is a constant, which Yosys folds into its products
    (``_constant_product``). Returns (sum of adder bits, sum of the real widths) over the
    distinct (lane, constant) pairs; None for bipolar inputs."""
    x = params.in_dtype
    if x.bipolar:
        return None
    w = params.weight.array.astype(np.int64)
    adder_bits = register_bits = 0
    for c in {int(v) for v in np.unique(w)}:
        lanes = int(np.count_nonzero((w == c).any(axis=0)))
        adders, width = _constant_product(x, c)
        adder_bits += lanes * adders
        register_bits += lanes * width
    return adder_bits, register_bits


def _thresholds_addressed(s: _Shape, folding: NodeFolding) -> bool:
    """The threshold memory is read through a fold address (not one constant word)."""
    return s.n > 0 and not (folding.mem_style is MemStyle.REGISTERS and s.nf == 1)


def _tree_nodes(simd: int, level: int) -> int:
    return (simd + (1 << level) - 1) >> level


def _control_bits(s: _Shape) -> int:
    """Fold counters, weight address, credit and FIFO counters/pointers."""
    count = s.fifo_depth.bit_length()
    return (
        _counter_bits(s.nf)
        + _counter_bits(s.sf)
        + _counter_bits(s.nf * s.sf)
        + 2 * count
        + 2 * _counter_bits(s.fifo_depth)
    )


def _varying(s: _Shape, params: MvauParams) -> tuple[int, int]:
    """Varying columns of the weight and threshold images (see cost.resources)."""
    return s.w_columns, s.t_columns


def lut_features(params: MvauParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """Products, adder trees, accumulators, threshold comparators and their popcount, ROMs
    built from logic, the input replay mux, the output word, and control."""
    s = _shape(params, folding)
    pe, simd = folding.pe, folding.simd
    x, w = params.in_dtype, params.weight_dtype
    xnor = x.bipolar and w.bipolar
    # A bipolar operand makes the product a conditional negation (an adder's worth of logic,
    # one carry chain); two integers an array of partial products: their cost per bit differs,
    # most on ECP5 (LUT4 + CCU2C), so each has its own constant.
    negate = (w.bits if x.bipolar else x.bits) + 1 if x.bipolar != w.bipolar else 0
    # two integers: the input's bits times the weight bits each leaf's product really sees
    weight_bits = sum(b * n for b, n in enumerate(s.leaf_weight_bits))
    # (a leaf whose weight never changes multiplies by a constant: shifts and adders)
    negate_bits = s.leaves * negate + s.const_leaf_adder_bits
    product_bits = x.bits * weight_bits
    if s.const_products is not None:  # products by constants: shifts and adders
        negate_bits, product_bits = s.const_products[0], 0
    # Weights from block RAM: a product of two registers, which synthesis cannot merge with a
    # ROM's logic (a logic ROM's read register is merged into it), so it has its own constant
    block_product_bits = 0
    if folding.mem_style is MemStyle.BLOCK:
        block_product_bits, product_bits = product_bits, 0
    tree = sum(
        (_tree_nodes(simd, level - 1) // 2) * s.level_bits(level)
        for level in range(1, s.levels + 1)
    )
    compare = max(s.acc_bits + 1, s.t_bits)
    # Comparator bits against a threshold bit that changes with the address, and against one
    # that does not (Yosys folds constant threshold bits into the comparator, also those it
    # drops from a block RAM; with one neuron fold every bit is constant)
    compares = pe * s.n * compare
    varying_compares = min(compares, s.t_columns_all)
    w_cols, t_cols = _varying(s, params)
    rom = 0
    if folding.mem_style is not MemStyle.BLOCK:
        rom = w_cols * rom_luts(s.nf * s.sf) + t_cols * rom_luts(s.nf)
    return {
        "const": 1.0,
        "control_bits": _control_bits(s),
        "xnor_lanes": s.leaves if xnor else 0,
        "product_bits": product_bits,
        "block_product_bits": block_product_bits,
        "negate_bits": negate_bits,
        "tree_bits": pe * tree,
        "acc_bits": pe * s.acc_bits * (2 if xnor else 1),
        "compare_bits": varying_compares,
        "const_compare_bits": compares - varying_compares,
        "count_bits": pe * max(s.n - 1, 0) * s.n.bit_length(),
        "rom_luts": rom,
        # 2:1 muxes: the input replay, and a banked weight row's bank select
        "replay_bits": (s.in_bits if s.nf > 1 else 0) + (s.banks - 1) * s.w_columns_all,
        # the read mux and write-enable decode of a LUT-RAM buffer deeper than one primitive
        "ram_mux_bits": _ram_mux_bits(s, family),
        "out_bits": s.out_bits,
    }


def _control_chains(s: _Shape, folding: NodeFolding) -> tuple[tuple[int, int], ...]:
    """(stages, bits) of the control shift registers: first_p and last_p of CP stages, nf_p
    of CP - KPR (a block-RAM threshold word is read a stage earlier). nf_p only addresses the
    threshold memory: when no threshold bit column varies (every neuron fold has the same
    thresholds), Yosys drops the memory and with it the chain (TFC-W2A2's second layer at
    cycles=512: 10 SRL16E, not 16). With two bank select steps, the bank index's group bits
    pass bank_q, bank_b and group_g unchanged: a chain of 3 (CNV-like units on synth_xilinx:
    2 or 3 SRL16E more than the chains above, at 18 to 36 banks)."""
    kpr = min(s.operand_stages, 1)
    bits = dict.fromkeys((s.stages, s.stages - kpr, GROUP_CHAIN_STAGES), 0)
    bits[s.stages] += 2 if s.sf > 1 else 0
    if _thresholds_addressed(s, folding) and s.t_columns_all:
        bits[s.stages - kpr] += _counter_bits(s.nf)
    bits[GROUP_CHAIN_STAGES] += _group_bits(s)
    return tuple((stages, b) for stages, b in bits.items() if b)


def _group_bits(s: _Shape) -> int:
    """The bank index's group bits (``group_g``) with two bank select steps, else 0."""
    return s.bank_bits - (BANK_GROUP - 1).bit_length() if s.operand_stages > 2 else 0


def ff_features(params: MvauParams, folding: NodeFolding, family: Family) -> dict[str, float]:
    """Register bits of sf_mvau.v (the adder tree separately: its widths are the real ones)."""
    s = _shape(params, folding)
    pe, simd = folding.pe, folding.simd
    regs = _control_bits(s) + s.stages + 2  # + valid_p, done_q, out_valid
    regs += sum(n * bits for n, bits in _control_chains(s, folding) if n < SRL_MIN_STAGES)
    regs += s.in_bits + (s.in_bits + 1 if s.nf > 1 else 0)  # in_q; ibuf_q, replay_q
    if s.nf > 1 and s.sf > 1:  # the replay buffer's late write: we_q, wa_q
        regs += 1 + _counter_bits(s.sf)
    if input_prefetch(params, folding):  # ibuf_q after the buffer's read register, sf_ahead
        regs += s.in_bits + _counter_bits(s.sf)
    if folding.mem_style is not MemStyle.BLOCK:
        # w_q / thr_q keep their varying columns; with "registers" Yosys moves waddr_q /
        # taddr_q to the ROM's output, which makes the same registers
        regs += sum(_varying(s, params))
    if s.operand_stages:
        # x_r, w_r and thr_r behind the block RAM's read register: its varying columns (Yosys
        # drops the constant ones from the block and from the registers after it)
        regs += s.in_bits + s.w_columns_all  # x_r, w_r
        if s.operand_stages > 1:  # in_b, and xbuf_b / xrep_b with a replay buffer
            regs += s.in_bits + (s.in_bits + 1 if s.nf > 1 else 0)
        regs += s.t_columns_all if _thresholds_addressed(s, folding) else 0
    if s.bank_bits:  # the banked row w_b (its varying columns), bank_q and bank_b
        regs += s.wb_columns_all + 2 * (s.bank_bits - _group_bits(s))  # group bits: a chain
    if s.operand_stages > 2:  # two select steps: each group's word w_g, and x_m
        groups = -(-s.banks // BANK_GROUP)
        regs += groups * s.w_columns_all + s.in_bits
    for mem in _buffers(s):
        if mem.kind is MemKind.FLIPFLOPS:
            regs += mem.depth_words * mem.width_bits
    regs += pe * s.acc_bits + s.out_bits
    tree = sum(_tree_nodes(simd, level) * s.level_bits(level) for level in range(1, s.levels + 1))
    return {
        "const": 1.0,
        "register_bits": regs,
        "tree_bits": pe * tree,
        "leaf_bits": s.leaves * s.leaf_bits if s.const_products is None else s.const_products[1],
        "leaf_sign_bits": pe * simd * max(0, min(_rtl_leaf_bits(params), s.acc_bits) - s.leaf_bits),
    }


def _pass_chains(params: MvauParams, folding: NodeFolding) -> list[tuple[int, int, int]]:
    """(registers, bits, level) of each delay chain in one PE's adder tree that Yosys turns
    into shift registers: with SIMD not a power of two, the last node of a level with an odd
    node count passes through to the next level; a run of such levels is a chain of registers
    (from the level it starts at), of that level's width in sf_mvau.v."""
    acc_bits, levels = params.acc_dtype.bits, tree_levels(folding.simd)
    rtl_leaf = min(_rtl_leaf_bits(params), acc_bits)
    chains, run = [], 0
    for level in range(1, levels + 2):
        if level <= levels and _tree_nodes(folding.simd, level - 1) % 2:
            run += 1
            continue
        if run + 1 >= SRL_MIN_STAGES:
            start = level - 1 - run
            chains.append((run + 1, min(rtl_leaf + start, acc_bits), start))
        run = 0
    return chains


def _chain_copies(weights: npt.NDArray[np.int64], folding: NodeFolding, level: int) -> int:
    """PEs whose delay chain from ``level`` is distinct: the chain carries the tree's last
    node of that level, the sum over the SIMD lanes from (nodes - 1) * 2**level on, and two
    PEs whose weights on those lanes are equal at every address compute the same values, one
    chain in Yosys (as ``_leaf_columns``; CNN-W1A1's first layer at cycles=3136: PE 0 and
    PE 3 both negate their last pixel at every address, 3 x 11 SRL16E, not 4 x 11).
    ``weights`` is the weight image [NF * SF, PE * SIMD]."""
    pe, simd = folding.pe, folding.simd
    first = (_tree_nodes(simd, level) - 1) << level
    lanes = weights.reshape(weights.shape[0], pe, simd)[:, :, first:]
    per_pe = np.ascontiguousarray(lanes.transpose(1, 0, 2).reshape(pe, -1))
    return distinct_rows(per_pe)


def _rtl_leaf_bits(params: MvauParams) -> int:
    """LB in sf_mvau.v before capping: 2 for XNOR (top bit 0), else IN_BITS + W_BITS + 2."""
    x, w = params.in_dtype, params.weight_dtype
    return 1 if x.bipolar and w.bipolar else x.bits + w.bits + 2


def _leaf_columns(weights: npt.NDArray[np.int64], folding: NodeFolding) -> npt.NDArray[np.int64]:
    """The weight columns of the product registers after merging: lanes of different PEs whose
    weights are equal at every address compute the same product, and Yosys keeps one register.
    ``weights`` is the weight image [NF * SF, PE * SIMD]; returns one column over the
    addresses per distinct (SIMD lane, column) pair, [leaves, NF * SF]."""
    pe, simd = folding.pe, folding.simd
    columns = weights.T  # [PE * SIMD, NF * SF], lane p * SIMD + i
    lo, hi = (int(columns.min()), int(columns.max())) if columns.size else (0, 0)
    if lo >= 0 and hi <= 1:
        rows = np.packbits(columns.astype(np.uint8), axis=1)
    elif lo >= -(1 << 15) and hi < (1 << 15):
        rows = columns.astype(np.int16)
    else:
        rows = np.ascontiguousarray(columns)
    lane = (np.arange(pe * simd, dtype=np.int32) % simd).reshape(-1, 1)
    keyed = np.concatenate([lane.view(np.uint8), np.ascontiguousarray(rows).view(np.uint8)], 1)
    return np.asarray(columns[first_distinct_rows(keyed)])


def _leaf_weight_bits(
    params: MvauParams, leaves: npt.NDArray[np.int64], folding: NodeFolding
) -> tuple[tuple[int, ...], int]:
    """The leaves (``_leaf_columns``) counted by the weight bits that reach their products
    (element b: the number of leaves whose product sees b weight bits), and the adder bits of
    the products by a constant (``_constant_product``) of the leaves whose weight never changes.

    A leaf's weight is one column of the weight image (its lane's word at every address).
    A bit that is the same at every address is a constant, which Yosys folds into the product
    (from a logic ROM and from block RAM alike). From a logic ROM (or registers) Yosys also
    merges the read register's bits that are equal at every address into one: a lane whose
    weights are small, or that has few words, multiplies by fewer bits than the type has (real
    networks' weights cluster near zero; a lane of a 4-word ROM rarely needs all 4 bits). From
    block RAM each bit is its own memory output. Integer operands only (((), 0) otherwise)."""
    w_type, x = params.weight_dtype, params.in_dtype
    if w_type.bipolar or x.bipolar:
        return (), 0
    bits = [((leaves >> k) & 1).astype(np.uint8) for k in range(w_type.bits)]  # [L, words] each
    varying = [(b != b[:, :1]).any(axis=1) for b in bits]
    kept = [v.copy() for v in varying]
    if folding.mem_style is not MemStyle.BLOCK:
        for k in range(1, w_type.bits):  # a varying bit equal to a lower varying bit: merged
            for j in range(k):
                kept[k] &= ~((bits[k] == bits[j]).all(axis=1) & varying[j])
    seen = np.sum(kept, axis=0)
    const_adders = sum(_constant_product(x, int(c))[0] for c in leaves[seen == 0, 0])
    counts = np.bincount(seen, minlength=w_type.bits + 1)
    return tuple(int(c) for c in counts), const_adders


def memories(params: MvauParams, folding: NodeFolding) -> tuple[Memory, ...]:
    """The output FIFO and input buffer (LUT RAM), control shift registers, and weights and
    thresholds in block RAM with ``MemStyle.BLOCK``."""
    s = _shape(params, folding)
    out = list(_buffers(s))
    for stages, bits in _control_chains(s, folding):
        if stages >= SRL_MIN_STAGES:
            out.append(Memory(stages, bits, MemKind.SRL))
    for stages, bits, copies in s.pass_chains:
        out.append(Memory(stages, copies * bits, MemKind.SRL))
    if folding.mem_style is MemStyle.BLOCK:  # Yosys drops constant bit columns first
        if s.bank_bits:  # banks side by side
            out.append(Memory(s.bank_rows, s.wb_columns_all, MemKind.BLOCK, rom=True))
        else:
            out.append(Memory(s.nf * s.sf, s.w_columns_all, MemKind.BLOCK, rom=True))
        if params.thresholds is not None:
            out.append(Memory(s.nf, s.t_columns_all, MemKind.BLOCK, rom=True))
    return tuple(out)


def _ram_mux_bits(s: _Shape, family: Family) -> int:
    """Read-mux inputs past the first, per bit, of the buffers ``family``'s synthesis puts in
    LUT RAM over several address slices (``cost.memlib``): an input buffer of 288 x 1 is 18
    TRELLIS_DPR16X4 on ECP5, read through an 18-input mux that the primitives' LUTs do not
    count."""
    bits = 0
    for m in _buffers(s):
        found = mapping(m, family)
        if found is not None and found.option is not None and not found.option.block:
            bits += (found.slices - 1) * m.width_bits
    return bits


def _buffers(s: _Shape) -> tuple[Memory, ...]:
    """The output FIFO and, with several neuron folds, the input replay buffer (written a
    cycle late from registers, at the address before the one read, when SF > 1; one word
    otherwise); Yosys chooses their style (no ram_style attribute)."""
    fifo = auto_memory(s.fifo_depth, s.out_bits, transparent=True)
    if s.nf == 1:
        return (fifo,)
    return (fifo, auto_memory(s.sf, s.in_bits, shared_address=s.sf == 1, sync_read=True))


def resources(params: MvauParams, folding: NodeFolding, family: Family) -> Resources:
    """LUT/FF/LUTRAM/BRAM/DSP of sf_mvau for ``family`` (calibrated; see cost.resources).

    With the multiply-shift output stage: the unit without it, its output register and FIFO
    as wide as the output type, plus the stage's datapath (``mulshift.cost.fused_resources``,
    the multiply-shift block's constants without its own input register, FIFO and control).
    Its LUTRAM and BRAM are the fused RTL's own memories (``cost.memlib``): the output FIFO
    of the multiply-shift outputs, and the constants in block RAM with ``MemStyle.BLOCK``."""
    if folding.mmv > 1:  # sf_mvau_mmv: mmv lock-stepped units, each with its own memories
        unit = resources(params, replace(folding, mmv=1), family)
        return Resources(*(getattr(unit, f.name) * folding.mmv for f in fields(unit)))
    requant = params.requant()
    if requant is not None:
        bare = replace(params, multiplier=(), bias=(), shift=())
        stage = NodeFolding(pe=folding.pe, mem_style=folding.mem_style)
        parts = resources(bare, folding, family) + mulshift_cost.fused_resources(
            requant, stage, family
        )
        own = mulshift_cost.memories(requant, stage)
        mems = memories(params, folding) + tuple(m for m in own if m.kind is MemKind.BLOCK)
        ram = memory_luts(mems, family)
        bram = memory_bram(mems, family)
        return replace(parts, lut=parts.lut - parts.lutram + ram, lutram=ram, bram=bram)
    return combine(
        "mvau",
        family,
        lut_features(params, folding, family),
        ff_features(params, folding, family),
        memories(params, folding),
    )
