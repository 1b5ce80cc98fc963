"""L0: verify() accepts legal nn and hw graphs and rejects each illegal one with a pinned message.

Graphs are written as IR text and broken by one textual edit each, so every case shows exactly
what is wrong with it.
"""

from dataclasses import replace
from fractions import Fraction

import pytest

from streamfold.errors import IRError
from streamfold.ir import Conv, Graph, IntArray, IntType, MaxPool, Scale, parse_graph, verify

NN = """\
graph nn
input x: u4[3]
node fc: MatMul(x) -> fc: i7[2]
  weight = [2, 3] 1 -2 3 0 1 -1
  weight_dtype = i3
node act: Requantize(fc) -> act: u2[2]
  mul = [1/3, -1/2]
  add = [1/2]
output act
"""

# conv: x in [-8, 7]; rows (1, -1) and (2, 3) reach [-15, 15] and [-40, 35], so i7.
# fc: x in [0, 3]; rows (1, 2) and (-1, 1) reach [0, 9] and [-3, 3], so i5.
HW = """\
graph hw
input x: i4[1, 6]
node conv: Conv(x) -> conv: i7[2, 3]
  weight = [2, 1, 2] 1 -1 2 3
  weight_dtype = i3
  stride = (2)
  padding = (0)
node thr: MultiThreshold(conv) -> thr: u2[2, 3]
  thresholds = [2, 3] -5 0 5 -10 10 20
node pool: MaxPool(thr) -> pool: u2[2, 1]
  kernel_size = (3)
  stride = (3)
node flat: Flatten(pool) -> flat: u2[2]
node fc: MatMul(flat) -> fc: i5[2]
  weight = [2, 2] 1 2 -1 1
  weight_dtype = i3
node ms: MulShift(fc) -> ms: i4[2]
  multiplier = (3, 5)
  bias = (-4)
  shift = (2)
output ms
"""


def _edit(text: str, old: str, new: str) -> Graph:
    assert old in text
    return parse_graph(text.replace(old, new))


@pytest.mark.parametrize("text", [NN, HW], ids=["nn", "hw"])
def test_accepts_good_graph_and_returns_it(text):
    g = parse_graph(text)
    assert verify(g) is g


def test_hw_graph_is_also_legal_at_stage_nn():
    verify(parse_graph(HW), "nn")


def test_accepts_bipolar_weights_and_output_scales():
    g = _edit(
        NN,
        "weight = [2, 3] 1 -2 3 0 1 -1\n  weight_dtype = i3",
        "weight = [2, 3] 1 -1 1 -1 1 1\n  weight_dtype = bipolar",
    )
    g = replace(g, scales=(("act", Scale((Fraction(1, 2), Fraction(1, 3)), (Fraction(0),))),))
    verify(g)


def test_requantize_is_illegal_at_stage_hw():
    message = (
        r"^node act \(Requantize, stage hw\): op must be one of "
        r"MatMul, Conv, MaxPool, GlobalSumPool, Upsample, DepthToSpace, Flatten, MultiThreshold, "
        r"MulShift, Mvau, Thresholding, Pad, SlidingWindow, Add, Concat, Vvau, PeakPick$"
    )
    with pytest.raises(IRError, match=message):
        verify(parse_graph(NN), "hw")
    with pytest.raises(IRError, match=message):
        verify(_edit(NN, "graph nn", "graph hw"))


def test_accumulator_too_narrow_for_weights():
    # u4 inputs (0..15) through rows (1, -2, 3) and (0, 1, -1) reach [-30, 60]: i7 holds it.
    g = parse_graph(NN)
    fc = g.node("fc")
    narrow = replace(fc, output=replace(fc.output, dtype=IntType(6, True)))
    with pytest.raises(
        IRError,
        match=r"^node fc \(MatMul, stage nn\): output type must hold \[-30, 60\], not i6$",
    ):
        verify(g.replace(fc, narrow))


def test_conv_accumulator_too_narrow():
    with pytest.raises(
        IRError,
        match=r"^node conv \(Conv, stage hw\): output type must hold \[-40, 35\], not i6$",
    ):
        verify(_edit(HW, "conv: i7[2, 3]", "conv: i6[2, 3]"))


def test_maxpool_output_must_hold_its_input_type():
    with pytest.raises(
        IRError,
        match=r"^node pool \(MaxPool, stage hw\): output type must hold \[0, 3\], not u1$",
    ):
        verify(_edit(HW, "pool: u2[2, 1]", "pool: u1[2, 1]"))


@pytest.mark.parametrize(
    "text, old, new, message",
    [
        pytest.param(
            NN,
            "input x: u4[3]",
            "input x: u4[4]",
            r"^node fc \(MatMul, stage nn\): MatMul: input shape must be \(3,\), not \(4,\)$",
            id="matmul-input-shape",
        ),
        pytest.param(
            NN,
            "act: u2[2]",
            "act: u2[3]",
            r"^node act \(Requantize, stage nn\): output shape must be \(2,\), not \(3,\)$",
            id="output-shape",
        ),
        pytest.param(
            HW,
            "input x: i4[1, 6]",
            "input x: i4[2, 6]",
            r"^node conv \(Conv, stage hw\): Conv: input shape must be "
            r"\(1, <1 spatial>\), not \(2, 6\)$",
            id="conv-channels",
        ),
        pytest.param(
            HW,
            "input x: i4[1, 6]",
            "input x: i4[1, 1]",
            r"^node conv \(Conv, stage hw\): Conv: kernel \(2,\) must fit the padded input \(1,\)$",
            id="conv-kernel-too-big",
        ),
        pytest.param(
            HW,
            "pool: u2[2, 1]\n  kernel_size = (3)",
            "pool: u2[2, 1]\n  kernel_size = (3, 1)",
            r"^node pool \(MaxPool, stage hw\): MaxPool: input must have 2 spatial axes, "
            r"not \(2, 3\)$",
            id="maxpool-axes",
        ),
        pytest.param(
            NN,
            "Requantize(fc)",
            "Requantize(y)",
            r"^node act \(Requantize, stage nn\): input 'y' must be defined before use$",
            id="undefined-input",
        ),
        pytest.param(
            NN,
            "Requantize(fc)",
            "Requantize(fc, x)",
            r"^node act \(Requantize, stage nn\): must have exactly one input, not 2$",
            id="two-inputs",
        ),
        pytest.param(
            NN,
            "-> act: u2[2]",
            "-> fc: u2[2]",
            r"^node act: value name 'fc' must be unique$",
            id="duplicate-node-output",
        ),
        pytest.param(
            NN,
            "input x: u4[3]",
            "input x: u4[3]\ninput x: u2[3]",
            r"^graph input: value name 'x' must be unique$",
            id="duplicate-input",
        ),
        pytest.param(
            NN,
            "input x: u4[3]",
            "input x: u4[3]\ninput e: u4[]",
            r"^graph input: shape of e must be non-empty, not \(\)$",
            id="empty-shape",
        ),
        pytest.param(
            HW,
            "-5 0 5 -10 10 20",
            "-5 0 5 -10 20 10",
            r"^node thr \(MultiThreshold, stage hw\): thresholds must ascend along each channel$",
            id="thresholds-descending",
        ),
        pytest.param(
            HW,
            "thresholds = [2, 3] -5 0 5 -10 10 20",
            "thresholds = [2, 2] -5 0 -10 10",
            r"^node thr \(MultiThreshold, stage hw\): thresholds must be \[channels, 3\] for u2, "
            r"not \[2, 2\]$",
            id="thresholds-levels",
        ),
        pytest.param(
            HW,
            "thresholds = [2, 3] -5 0 5 -10 10 20",
            "thresholds = [3, 3] -5 0 5 -10 10 20 1 2 3",
            r"^node thr \(MultiThreshold, stage hw\): thresholds must have 1 or 2 entries, not 3$",
            id="thresholds-channels",
        ),
        pytest.param(
            NN,
            "mul = [1/3, -1/2]",
            "mul = [1/3, -1/2, 1]",
            r"^node act \(Requantize, stage nn\): mul must have 1 or 2 entries, not 3$",
            id="requantize-mul-per-channel",
        ),
        pytest.param(
            NN,
            "add = [1/2]",
            "add = [1/2, 0, 0]",
            r"^node act \(Requantize, stage nn\): add must have 1 or 2 entries, not 3$",
            id="requantize-add-per-channel",
        ),
        pytest.param(
            HW,
            "multiplier = (3, 5)",
            "multiplier = (3, 5, 7)",
            r"^node ms \(MulShift, stage hw\): multiplier must have 1 or 2 entries, not 3$",
            id="mulshift-per-channel",
        ),
        pytest.param(
            HW,
            "shift = (2)",
            "shift = (-1)",
            r"^node ms \(MulShift, stage hw\): shift must be >= 0, not -1$",
            id="mulshift-negative-shift",
        ),
        pytest.param(
            NN,
            "weight_dtype = i3",
            "weight_dtype = i2",
            r"^node fc \(MatMul, stage nn\): weights must lie in i2$",
            id="weights-outside-dtype",
        ),
        pytest.param(
            HW,
            "weight = [2, 1, 2] 1 -1 2 3",
            "weight = [2, 1, 2] 1 -1 2 4",
            r"^node conv \(Conv, stage hw\): weights must lie in i3$",
            id="conv-weights-outside-dtype",
        ),
        pytest.param(
            NN,
            "weight_dtype = i3",
            "weight_dtype = bipolar",
            r"^node fc \(MatMul, stage nn\): weights must lie in bipolar$",
            id="weights-outside-bipolar",
        ),
        pytest.param(
            NN,
            "weight = [2, 3] 1 -2 3 0 1 -1\n  weight_dtype = i3",
            "weight = [2, 3] 1 -1 1 0 1 -1\n  weight_dtype = bipolar",
            r"^node fc \(MatMul, stage nn\): bipolar weights must be -1 or \+1$",
            id="bipolar-weight-zero",
        ),
        pytest.param(
            NN,
            "output act\n",
            "",
            r"^graph: must have at least one output$",
            id="no-outputs",
        ),
        pytest.param(
            NN,
            "output act",
            "output z",
            r"^graph output 'z' must be a defined value$",
            id="undefined-output",
        ),
        pytest.param(
            NN,
            "output act",
            "output act scale mul=[1, 2, 3] add=[0]",
            r"^output act scale mul must have 1 or 2 entries, not 3$",
            id="scale-per-channel",
        ),
    ],
)
def test_rejects(text, old, new, message):
    with pytest.raises(IRError, match=message):
        verify(_edit(text, old, new))


def test_scale_must_belong_to_an_output():
    g = parse_graph(NN)
    g = replace(g, scales=(("fc", Scale((Fraction(1),), (Fraction(0),))),))
    with pytest.raises(IRError, match=r"^scale for 'fc': must belong to a graph output$"):
        verify(g)


def test_unknown_stage():
    with pytest.raises(IRError, match=r"^verify: stage must be one of nn, hw, not 'rtl'$"):
        verify(parse_graph(NN), "rtl")
    with pytest.raises(IRError, match=r"^verify: stage must be one of nn, hw, not 'rtl'$"):
        verify(_edit(NN, "graph nn", "graph rtl"))


def _break_conv(**changes):
    g = parse_graph(HW)
    conv = g.node("conv")
    assert isinstance(conv.op, Conv)
    return g.replace(conv, replace(conv, op=replace(conv.op, **changes)))


def test_conv_stride_of_wrong_length_is_an_ir_error():
    with pytest.raises(IRError, match=r"^node conv \(Conv, stage hw\): .*stride"):
        verify(_break_conv(stride=(2, 2)))


def test_zero_stride_is_an_ir_error():
    with pytest.raises(IRError, match=r"^node conv \(Conv, stage hw\): .*stride"):
        verify(_break_conv(stride=(0,)))


def test_zero_maxpool_stride_is_an_ir_error():
    g = parse_graph(HW)
    pool = g.node("pool")
    broken = replace(pool, op=MaxPool((3,), (0,)))
    with pytest.raises(IRError, match=r"^node pool \(MaxPool, stage hw\): .*stride"):
        verify(g.replace(pool, broken))


def test_scalar_thresholds_are_an_ir_error():
    g = parse_graph(HW)
    thr = g.node("thr")
    broken = replace(thr, op=replace(thr.op, thresholds=IntArray(3)))
    with pytest.raises(IRError, match=r"^node thr \(MultiThreshold, stage hw\): thresholds"):
        verify(g.replace(thr, broken))
