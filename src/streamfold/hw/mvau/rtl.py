"""The sf_mvau instance for a node: parameters and memory images.

Images (layout also in the header of sf_mvau.v), one word per line in hexadecimal:
- ``{name}_weights.hex``: NF * SF words of PE * SIMD weights; word nf * SF + sf holds at element
  p * SIMD + s the weight of row nf * PE + p, column sf * SIMD + s (bipolar: bit 1 = +1). A
  block-RAM memory deeper than one block is banked (``params.weight_banks``): its rows hold
  W_BANKS words side by side, word b * rows + r at bank b of row r.
- ``{name}_thresholds.hex`` (with thresholds only): NF words of PE * n thresholds; word nf holds
  at element p * n + k threshold k of row nf * PE + p, clamped to the accumulator's range and
  stored in ``threshold_dtype`` (a per-tensor row is repeated for every row).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from streamfold.hw.block import MemStyle, NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.mulshift.params import MulShiftParams, hw_constants
from streamfold.hw.mulshift.rtl import constant_image
from streamfold.hw.mvau.params import (
    MvauParams,
    bank_rows,
    check_folding,
    input_prefetch,
    weight_banks,
)
from streamfold.hw.thresholding.image import hex_image, threshold_image
from streamfold.ir.dtypes import IntType
from streamfold.ir.ops import IntArray

SOURCE = Path(__file__).with_name("sf_mvau.v")
MMV_SOURCE = Path(__file__).with_name("sf_mvau_mmv.v")
TREE_SOURCE = Path(__file__).with_name("sf_mvau_tree.v")  # one PE's adder tree


def weight_image(params: MvauParams, folding: NodeFolding) -> str:
    """The weight memory image for ``folding`` (layout in the module docstring)."""
    nf, sf = params.out_features // folding.pe, params.in_features // folding.simd
    w = params.weight.array.astype(np.int64)
    if params.weight_dtype.bipolar:
        w = (w + 1) // 2
    folds = w.reshape(nf, folding.pe, sf, folding.simd).transpose(0, 2, 1, 3)
    words = folds.reshape(nf * sf, folding.pe * folding.simd)
    return hex_image(bank_rows(words, *weight_banks(params, folding)), params.weight_dtype.bits)


def unit_parameters(
    name: str,
    weights: str,
    thresholds: IntArray | None,
    rows: int,
    pe: int,
    types: tuple[IntType, IntType, IntType, IntType],
    n_thresholds: int,
    mem_style: MemStyle,
) -> tuple[tuple[tuple[str, int | str], ...], tuple[tuple[str, str], ...]]:
    """The parameters an sf_mvau and an sf_vvau share (from ``IN_BITS`` on) and their memory
    images: ``{name}_weights.hex`` holding ``weights``, and ``{name}_thresholds.hex`` when the
    unit has ``thresholds`` (``rows`` channels, ``pe`` per word). ``types``: input, weight,
    accumulator and output types."""
    x, w, acc, out = types
    weight_file = f"{name}_weights.hex"
    memories = [(weight_file, weights)]
    thresh_file, t_bits = "", 1
    if thresholds is not None:
        thresh_file = f"{name}_thresholds.hex"
        t_dtype, image = threshold_image(thresholds.array, rows, pe, acc.min, acc.max)
        memories.append((thresh_file, image))
        t_bits = t_dtype.bits
    thresholded = thresholds is not None and not out.bipolar
    parameters: tuple[tuple[str, int | str], ...] = (
        ("IN_BITS", x.bits),
        ("IN_SIGNED", int(x.signed)),
        ("IN_BIPOLAR", int(x.bipolar)),
        ("W_BITS", w.bits),
        ("W_SIGNED", int(w.signed)),
        ("W_BIPOLAR", int(w.bipolar)),
        ("ACC_BITS", acc.bits),
        ("ACC_SIGNED", int(acc.signed)),
        ("N_THRESH", n_thresholds),
        ("T_BITS", t_bits),
        ("OUT_BITS", out.bits),
        ("OUT_MIN", out.min if thresholded else 0),
        ("OUT_BIPOLAR", int(out.bipolar)),
        ("MEM_STYLE", mem_style.value),
        ("WEIGHT_FILE", weight_file),
        ("THRESH_FILE", thresh_file),
    )
    return parameters, tuple(memories)


def requant_parameters(
    requant: MulShiftParams, pe: int, name: str
) -> tuple[tuple[tuple[str, int | str], ...], tuple[str, str]]:
    """sf_mvau's multiply-shift parameters and ``{name}_requant.hex`` (sf_mulshift's layout,
    rows as channels)."""
    k = hw_constants(requant)
    out = requant.out_dtype
    ms_file = f"{name}_requant.hex"
    parameters: tuple[tuple[str, int | str], ...] = (
        ("MS", 1),
        ("MS_M_BITS", k.m_dtype.bits),
        ("MS_B_BITS", k.b_dtype.bits),
        ("MS_SHIFT", k.shift),
        ("MS_MIN", 0 if out.bipolar else out.min),
        ("MS_MAX", 1 if out.bipolar else out.max),
        ("MS_FILE", ms_file),
    )
    return parameters, (ms_file, constant_image(k, pe))


def instance(params: MvauParams, folding: NodeFolding, name: str) -> RtlInstance:
    """An sf_mvau instance named ``name`` with images ``{name}_weights.hex`` (+ thresholds)."""
    check_folding(name, params, folding)
    types = (params.in_dtype, params.weight_dtype, params.acc_dtype, params.out_dtype)
    shared, memories = unit_parameters(
        name,
        weight_image(params, folding),
        params.thresholds,
        params.out_features,
        folding.pe,
        types,
        params.n_thresholds,
        folding.mem_style,
    )
    parameters: tuple[tuple[str, int | str], ...] = (
        ("MW", params.in_features),
        ("MH", params.out_features),
        ("PE", folding.pe),
        ("SIMD", folding.simd),
        *shared,
    )
    banks, rows = weight_banks(params, folding)
    if banks > 1:  # only then: other designs' tops stay byte-identical
        parameters += (("W_BANKS", banks), ("W_BANK_AB", rows.bit_length() - 1))
    if input_prefetch(params, folding):  # the same
        parameters += (("IBUF_PREFETCH", 1),)
    requant = params.requant()
    if requant is not None:  # only then: other designs' tops stay byte-identical
        extra, image = requant_parameters(requant, folding.pe, name)
        parameters += extra
        memories += (image,)
    mmv = folding.mmv
    return RtlInstance(
        module="sf_mvau" if mmv == 1 else "sf_mvau_mmv",
        sources=(SOURCE, TREE_SOURCE) if mmv == 1 else (MMV_SOURCE, SOURCE, TREE_SOURCE),
        parameters=parameters if mmv == 1 else (("MMV", mmv), *parameters),
        memories=memories,
        stream_in=StreamFormat(
            params.in_dtype, mmv * folding.simd, params.pixels * params.in_features
        ),
        stream_out=StreamFormat(
            params.out_dtype, mmv * folding.pe, params.pixels * params.out_features
        ),
    )
