"""L0: the analytic resource formulas: memory geometry by hand, ROM contents, monotonicity."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from streamfold.cost.devices import Family
from streamfold.cost.resources import (
    CALIBRATION_FILE,
    MemKind,
    bram18,
    lutram_luts,
    rom_columns,
    rom_luts,
    srl_luts,
)
from streamfold.errors import StreamfoldError
from streamfold.hw.block import MemStyle, NodeFolding, StreamFormat
from streamfold.hw.dwc import cost as dwc_cost
from streamfold.hw.dwc.rtl import dwc_instance
from streamfold.hw.fifo import cost as fifo_cost
from streamfold.hw.fifo.rtl import fifo_instance
from streamfold.hw.mvau import cost as mvau_cost
from streamfold.hw.mvau.params import MvauParams
from streamfold.hw.thresholding import cost as thr_cost
from streamfold.hw.thresholding.params import ThresholdingParams
from streamfold.ir.dtypes import BIPOLAR, IntType, narrowest
from streamfold.ir.intervals import dot_interval
from streamfold.ir.ops import IntArray

X7 = Family.XILINX7
U2, I2 = IntType(2, False), IntType(2, True)


@pytest.mark.parametrize(
    "depth, width, expected",
    [
        pytest.param(512, 36, 1, id="512x36-one"),
        pytest.param(1024, 18, 1, id="1Kx18-one"),
        pytest.param(1024, 36, 2, id="1Kx36-two"),
        pytest.param(16, 64, 2, id="shallow-wide: 2 x 512x36"),
        pytest.param(16, 1080, 30, id="1080 bits: 30 x 36"),
        pytest.param(16384, 1, 1, id="16Kx1"),
        pytest.param(3136, 2, 1, id="tfc-like 3136x2 in one 8Kx2"),
        pytest.param(2048, 10, 2, id="2Kx10: 2 x 2Kx9"),
    ],
)
def test_bram18_geometry(depth: int, width: int, expected: int) -> None:
    assert bram18(depth, width) == expected


@pytest.mark.parametrize(
    "depth, width, shared, expected",
    [
        (1, 8, True, 4),  # one RAM32M in single-address mode: 4 x 2 bits
        (1, 9, True, 8),
        (1, 2, True, 4),  # a partial RAM32M
        (64, 1, True, 1),  # RAM64X1S
        (7, 6, False, 4),  # RAM32M, simple dual port: 3 x 2 bits
        (32, 32, False, 24),  # 6 RAM32M
        (63, 40, False, 56),  # 14 RAM64M of 3 bits
        (128, 2, False, 8),  # 2 RAM128X1D
    ],
)
def test_lutram_geometry(depth: int, width: int, shared: bool, expected: int) -> None:
    assert lutram_luts(depth, width, shared) == expected


def test_srl_and_rom_luts() -> None:
    assert srl_luts(5, 3) == 3 and srl_luts(33, 2) == 4
    assert [rom_luts(d) for d in (1, 2, 16, 17, 64, 1024)] == [0, 1, 1, 2, 4, 64]


def test_rom_columns_drop_constant_and_copied_bits() -> None:
    words = np.array([[0b0101], [0b0110], [0b0101], [0b0110]])  # bit0 = ~bit1, bit2 const
    assert rom_columns(words, 4) == 2 and rom_columns(words, 4, distinct=False) == 2
    assert rom_columns(np.array([[3, 1]]), 2) == 0  # one word: all constant
    copies = np.array([[0, 0], [1, 1], [2, 2]])  # element 1 repeats element 0
    assert rom_columns(copies, 2) == 2 and rom_columns(copies, 2, distinct=False) == 4


def _mvau(in_f: int, out_f: int, x: IntType, w: IntType, levels: int) -> MvauParams:
    rng = np.random.default_rng(0)
    shape = (out_f, in_f)
    weight = rng.choice([-1, 1], shape) if w.bipolar else rng.integers(w.min, w.max + 1, shape)
    lo, hi = dot_interval(weight, x.min, x.max)
    t = np.sort(rng.integers(lo, hi + 1, (out_f, levels - 1)), axis=1)
    out = BIPOLAR if levels == 2 and x.bipolar else IntType((levels - 1).bit_length(), False)
    return MvauParams(in_f, out_f, x, w, narrowest(lo, hi), out, IntArray(weight), IntArray(t))


@pytest.mark.parametrize("style", [MemStyle.DISTRIBUTED, MemStyle.BLOCK])
@pytest.mark.parametrize("x, w", [(U2, I2), (BIPOLAR, BIPOLAR)], ids=["u2i2", "xnor"])
def test_mvau_grows_with_pe_and_simd(x: IntType, w: IntType, style: MemStyle) -> None:
    params = _mvau(64, 16, x, w, 4 if not x.bipolar else 2)
    for pe, simd in ((1, 4), (2, 4), (4, 4), (4, 8), (4, 16), (8, 16)):
        small = mvau_cost.resources(params, NodeFolding(pe, simd, style), X7)
        big_pe = mvau_cost.resources(params, NodeFolding(2 * pe, simd, style), X7)
        big_simd = mvau_cost.resources(params, NodeFolding(pe, 2 * simd, style), X7)
        for big in (big_pe, big_simd):
            assert big.lut > small.lut and big.ff > small.ff, (pe, simd, small, big)
            assert big.dsp == small.dsp == 0


def test_mvau_block_memories_hand_computed() -> None:
    """Weights 16 x 64 of 2 bits at PE=2, SIMD=16: 8 * 4 = 32 words of 2 * 16 * 2 = 64
    random bits -> 2 RAMB18 (512 x 36 twice); thresholds: 8 words of 2 * 3 * T_BITS = 60 bits,
    of which the constant columns (the sign bits of sorted thresholds near the middle) drop."""
    params = _mvau(64, 16, U2, I2, 4)
    res = mvau_cost.resources(params, NodeFolding(2, 16, MemStyle.BLOCK), X7)
    t_bits = mvau_cost.threshold_dtype(params.acc_dtype.min, params.acc_dtype.max).bits
    assert 2 * 3 * t_bits > 36 and res.bram in (3, 4)
    assert mvau_cost.resources(params, NodeFolding(2, 16, MemStyle.DISTRIBUTED), X7).bram == 0


def test_mvau_compares_split_by_threshold_bits_that_vary() -> None:
    """One neuron fold: every threshold bit is a constant (const_compare_bits only); more
    folds: the varying threshold columns are compare_bits, the rest const_compare_bits, and
    the two add up to PE x thresholds x comparator width."""
    params = _mvau(64, 16, U2, I2, 4)
    for family in (X7, Family.ECP5):
        one = mvau_cost.lut_features(params, NodeFolding(16, 8), family)
        assert one["compare_bits"] == 0 and one["const_compare_bits"] > 0
        for pe in (1, 2, 4, 8):
            f = mvau_cost.lut_features(params, NodeFolding(pe, 8), family)
            s = mvau_cost._shape(params, NodeFolding(pe, 8))
            assert f["compare_bits"] == s.t_columns_all > 0
            total = f["compare_bits"] + f["const_compare_bits"]
            assert total == pe * 3 * max(s.acc_bits + 1, s.t_bits)


def test_mvau_negation_and_products_are_separate_features() -> None:
    """A bipolar operand times an integer is a conditional negation (negate_bits, the integer's
    bits + 1 per lane), two integers a product (product_bits, their bits multiplied), two
    bipolars an XNOR (neither)."""
    u8 = IntType(8, False)
    fold = NodeFolding(1, 8)
    neg = mvau_cost.lut_features(_mvau(64, 4, u8, BIPOLAR, 2), fold, X7)
    mul = mvau_cost.lut_features(_mvau(64, 4, u8, I2, 2), fold, X7)
    xnor = mvau_cost.lut_features(_mvau(64, 4, BIPOLAR, BIPOLAR, 2), fold, X7)
    assert (neg["product_bits"], mul["negate_bits"]) == (0, 0)
    assert neg["negate_bits"] % 9 == 0 and mul["product_bits"] % 16 == 0
    assert neg["negate_bits"] // 9 == mul["product_bits"] // 16 == 8  # 8 lanes, all distinct
    assert xnor["product_bits"] == xnor["negate_bits"] == 0 and xnor["xnor_lanes"] == 8


def test_mvau_products_by_constants_with_one_weight_word() -> None:
    """NF = SF = 1: every weight is a constant, its product shifts and adds. u4 x [0, 1, 2, 3,
    -1, -3, -5, 3]: 0, 1, 2 no logic; 3 = 4 - 1 one subtractor (6 bits: 0..45); -1 a negation
    (5 bits: -15..0); -3 = -4 + 1 one (7 bits: -45..0); -5 = -4 - 1 two (8 bits: -75..0);
    lane 7's 3 again one (6). Adder bits 6 + 5 + 7 + 16 + 6 = 40, as negate_bits; product
    registers: 4 + 5 + 6 + 5 + 7 + 8 + 6 = 41 bits (the zero product none). Two equal words:
    still products by constants (the same 40 adder bits); two words that differ in every lane:
    multipliers (product_bits 8 lanes x 4 input bits x the 4 weight bits that vary)."""
    u4, i4, i10 = IntType(4, False), IntType(4, True), IntType(10, True)
    weight = np.array([[0, 1, 2, 3, -1, -3, -5, 3]])
    params = MvauParams(8, 1, u4, i4, i10, i10, IntArray(weight), None)
    one = NodeFolding(1, 8)
    lut = mvau_cost.lut_features(params, one, X7)
    assert (lut["product_bits"], lut["negate_bits"]) == (0, 40)
    assert mvau_cost.ff_features(params, one, X7)["leaf_bits"] == 41
    two = MvauParams(8, 2, u4, i4, i10, i10, IntArray(np.vstack([weight, weight])), None)
    folded = mvau_cost.lut_features(two, NodeFolding(1, 8), X7)
    assert (folded["product_bits"], folded["negate_bits"]) == (0, 40)
    varied = MvauParams(8, 2, u4, i4, i10, i10, IntArray(np.vstack([weight, ~weight])), None)
    folded = mvau_cost.lut_features(varied, NodeFolding(1, 8), X7)
    assert (folded["product_bits"], folded["negate_bits"]) == (4 * 14, 0)


def test_mvau_products_see_only_the_weight_bits_that_vary() -> None:
    """A product's weight bits, per lane over the addresses (i4 weights, u4 inputs, two words):
    [3, 3] never changes (a product by 3: one 6-bit subtractor, as negate_bits); [0, 1] varies
    in bit 0 only; [1, -1] in bits 1 to 3, which are equal (from a logic ROM one register, from
    block RAM three outputs); [5, -6] in all four, bits 2 and 3 equal to bits 0 and 1."""
    u4, i4, i10 = IntType(4, False), IntType(4, True), IntType(10, True)
    weight = np.array([[3, 0, 1, 5], [3, 1, -1, -6]])
    params = MvauParams(4, 2, u4, i4, i10, i10, IntArray(weight), None)
    rom = mvau_cost.lut_features(params, NodeFolding(1, 4), X7)
    assert (rom["product_bits"], rom["negate_bits"]) == (4 * (0 + 1 + 1 + 2), 6)
    assert mvau_cost._shape(params, NodeFolding(1, 4)).leaf_weight_bits == (1, 2, 1, 0, 0)
    block = mvau_cost.lut_features(params, NodeFolding(1, 4, MemStyle.BLOCK), X7)
    assert (block["block_product_bits"], block["product_bits"]) == (4 * (0 + 1 + 3 + 4), 0)


def _srl_chains(params: MvauParams, folding: NodeFolding) -> list[tuple[int, int]]:
    return [(m.depth_words, m.width_bits) for m in mvau_cost.memories(params, folding)
            if m.kind is MemKind.SRL]  # fmt: skip


def test_mvau_threshold_address_chain_only_with_varying_thresholds() -> None:
    """nf_p (the neuron fold, delayed CP - KPR stages) only addresses the threshold memory:
    with the same thresholds for every output (no threshold bit column varies) Yosys drops
    both, so only first_p / last_p remain (2 bits); with varying thresholds, + clog2(NF)."""
    params = _mvau(64, 64, U2, I2, 4)
    same = replace(params, thresholds=IntArray(np.tile(params.thresholds.array[:1], (64, 1))))
    for style in (MemStyle.DISTRIBUTED, MemStyle.BLOCK):
        fold = NodeFolding(1, 8, style)  # NF = 64: 6 address bits
        assert mvau_cost._shape(same, fold).t_columns_all == 0
        assert sum(b for _, b in _srl_chains(same, fold)) == 2
        assert sum(b for _, b in _srl_chains(params, fold)) == 2 + 6


@pytest.mark.parametrize(
    "in_f, out_f, chain",
    [(1024, 96, None), (2048, 160, (3, 2)), (3072, 192, (3, 3))],
    ids=["6-banks", "20-banks", "36-banks"],
)
def test_mvau_bank_group_bits_pass_a_chain_of_three(
    in_f: int, out_f: int, chain: tuple[int, int] | None
) -> None:
    """PE 1 / SIMD 1 with 1-bit weights in block RAM: 16K-word banks. Past BANK_GROUP banks
    the select takes two steps and the bank index's group bits pass bank_q, bank_b and
    group_g unchanged (Yosys synth_xilinx: 12 and 13 SRL16E, 2 and 3 more than without);
    with one step there is no such chain. The registers move from FFs to the chain."""
    params = _mvau(in_f, out_f, BIPOLAR, BIPOLAR, 2)
    fold = NodeFolding(1, 1, MemStyle.BLOCK)
    s = mvau_cost._shape(params, fold)
    assert s.banks == {1024: 6, 2048: 20, 3072: 36}[in_f]
    assert mvau_cost._group_bits(s) == (chain[1] if chain else 0)
    if chain:  # CP = 5 stages (OPR 3), nf_p 4: the only chain of three
        assert (3, chain[1]) in _srl_chains(params, fold)


def test_mvau_lutram_buffer_read_mux_on_ecp5() -> None:
    """An input buffer of 288 x 1 is 18 TRELLIS_DPR16X4 on ECP5, read through an 18-input mux
    (17 inputs past the first); on xc7 it is 5 RAM64M (SDP 64 x 3), a 5-input mux."""
    params = _mvau(288, 48, BIPOLAR, BIPOLAR, 2)
    fold = NodeFolding(1, 1, MemStyle.BLOCK)
    assert mvau_cost.lut_features(params, fold, Family.ECP5)["ram_mux_bits"] == 17
    assert mvau_cost.lut_features(params, fold, X7)["ram_mux_bits"] == 4


def test_mvau_tree_delay_chains_merge_across_equal_weights() -> None:
    """SIMD 9: the ninth product passes through levels 1-3 (4 registers of the 11-bit leaf of
    u8 x bipolar); PEs whose ninth weight is the same at every address share one chain."""
    u8 = IntType(8, False)
    params = _mvau(9, 4, u8, BIPOLAR, 2)
    fold = NodeFolding(4, 9, MemStyle.BLOCK)  # one address: every PE's weights constant
    w = params.weight.array.copy()
    w[:, 8] = [1, -1, 1, 1]  # two distinct last-lane weights
    w[:, :8] = 1  # the chain's value depends on the last lane only
    two = replace(params, weight=IntArray(w))
    assert _srl_chains(two, fold)[-1] == (4, 2 * 11)
    w[:, 8] = [1, -1, -1, 1]
    w[:, 0] = [1, 1, -1, -1]  # lanes outside the chain do not matter
    assert _srl_chains(replace(params, weight=IntArray(w)), fold)[-1] == (4, 2 * 11)
    w[:, 8] = [1, -1, 1, -1]
    w[1, 8], w[3, 8] = 1, 1
    assert _srl_chains(replace(params, weight=IntArray(w)), fold)[-1] == (4, 1 * 11)


@pytest.mark.parametrize("family", [X7, Family.ECP5], ids=lambda f: f.value)
def test_mvau_fused_multiply_shift_shares_the_output_fifo(family: Family) -> None:
    """sf_mvau with MS = 1 has one output FIFO, as wide as the output type, and no second
    input register: the estimate is the unit at the output width plus the stage's datapath,
    less than the unit streaming its accumulator plus a separate sf_mulshift block."""
    from dataclasses import replace

    from streamfold.hw.mulshift import cost as ms_cost

    params = _mvau(64, 4, U2, I2, 2)
    acc = replace(params, thresholds=None, out_dtype=params.acc_dtype)
    fused = replace(
        acc, out_dtype=IntType(8, False), multiplier=(3000,) * 4, bias=(5,) * 4, shift=(12,)
    )
    requant = fused.requant()
    assert requant is not None
    fold, stage = NodeFolding(2, 8), NodeFolding(2)
    unit = mvau_cost.resources(replace(fused, multiplier=(), bias=(), shift=()), fold, family)
    got = mvau_cost.resources(fused, fold, family)
    assert got == unit + ms_cost.fused_resources(requant, stage, family)
    separate = mvau_cost.resources(acc, fold, family) + ms_cost.resources(requant, stage, family)
    assert got.lutram < separate.lutram and got.ff < separate.ff and got.lut < separate.lut


def test_thresholding_block_memory_and_fifo_lutram() -> None:
    rng = np.random.default_rng(0)
    t = np.sort(rng.integers(-128, 128, (64, 3)), axis=1)
    params = ThresholdingParams(64, IntType(8, True), U2, IntArray(t))
    res = thr_cost.resources(params, NodeFolding(4, 1, MemStyle.BLOCK), X7)
    assert res.bram == 3  # 16 words of 4 * 3 * 9 = 108 varying bits: 3 x 512 x 36
    assert res.lutram == 8  # output FIFO: 4 words of 8 bits, simple dual port: 2 x RAM32M
    narrow = thr_cost.resources(params, NodeFolding(1, 1, MemStyle.DISTRIBUTED), X7)
    assert narrow.lutram == 0  # 4 words of 2 bits: Yosys builds flip-flops


def test_fifo_and_dwc() -> None:
    fmt = StreamFormat(IntType(8, False), 1, 64)
    one_word = fifo_cost.resources(fifo_instance(fmt, 2), X7)
    assert one_word.lutram == 4 and one_word.bram == 0  # 1 word x 8 bits: one RAM32M
    deeper = fifo_cost.resources(fifo_instance(fmt, 64), X7)
    assert deeper.lutram == 12 and deeper.lut > one_word.lut and deeper.ff > one_word.ff
    # an up-converter has no data muxes (clock enables): its LUTs do not grow with the width
    up_inst = dwc_instance(StreamFormat(U2, 1, 64), 4)
    wide_inst = dwc_instance(StreamFormat(U2, 4, 64), 16)
    up, wide = dwc_cost.resources(up_inst, X7), dwc_cost.resources(wide_inst, X7)
    assert up.lutram == 0 and wide.lut == up.lut and wide.ff > up.ff
    assert (up.ff, wide.ff) == (dwc_cost.registers(up_inst), dwc_cost.registers(wide_inst))
    assert dwc_cost.structure(up_inst) == "up"
    # a down-converter loads each bit from three places: its LUTs grow with the input word
    down = dwc_cost.resources(dwc_instance(StreamFormat(U2, 4, 64), 1), X7)
    down_wide = dwc_cost.resources(dwc_instance(StreamFormat(U2, 16, 64), 4), X7)
    assert down_wide.lut > down.lut and down_wide.ff > down.ff


def test_calibration_constants_say_where_they_came_from() -> None:
    data = json.loads(CALIBRATION_FILE.read_text())
    fam = data["families"]["xilinx7"]
    for key in ("command", "date", "yosys"):
        assert fam["run"][key]
    for block in ("mvau", "thresholding", "fifo", "dwc"):
        for resource in ("lut", "ff"):
            consts = fam["blocks"][block][resource]["constants"]
            assert consts and all(
                "fitted by bench/calibrate.py" in c["source"] for c in consts.values()
            )
        assert any(p["set"] == "held-out" for p in fam["blocks"][block]["points"])


def test_uncalibrated_family_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.loads(CALIBRATION_FILE.read_text())
    data["families"].pop("ecp5", None)
    monkeypatch.setattr("streamfold.cost.resources.calibration", lambda: data)
    fmt = StreamFormat(IntType(8, False), 1, 64)
    with pytest.raises(
        StreamfoldError,
        match=r"^resources: fifo lut must be calibrated for ecp5 \(run bench/calibrate.py "
        r"--family ecp5 --write\), and is not$",
    ):
        fifo_cost.resources(fifo_instance(fmt, 2), Family.ECP5)


def test_mulshift_one_word_in_block_ram_is_constant_multipliers() -> None:
    """With one fold the constants' block RAM holds one word: Yosys keeps no memory and the
    multipliers are constants, as out of LUTs (const_mult_bits, no mult_bits); with several
    folds block RAM hides the constant columns (every multiplier bit varies)."""
    from streamfold.hw.mulshift import cost as ms_cost
    from streamfold.hw.mulshift.params import MulShiftParams

    params = MulShiftParams(4, IntType(12, True), IntType(8, False), (3000, 5001, 7, 12000),
                            (5, -9, 0, 100), (12,))  # fmt: skip
    one = NodeFolding(4, 1, MemStyle.BLOCK)
    block = ms_cost.lut_features(params, one, X7)
    dist = ms_cost.lut_features(params, NodeFolding(4, 1, MemStyle.DISTRIBUTED), X7)
    assert block["mult_bits"] == dist["mult_bits"] == 0
    assert block["const_mult_bits"] == dist["const_mult_bits"] > 0
    assert ms_cost.resources(params, one, X7).bram == 0
    folded = ms_cost.lut_features(params, NodeFolding(2, 1, MemStyle.BLOCK), X7)
    assert folded["const_mult_bits"] == 0 and folded["mult_bits"] > 0
