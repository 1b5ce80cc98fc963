"""FINN+'s SetFolding reproduced: its choices on TFC and CNV pinned layer by layer.

Each expected folding is derived by hand from FINN+'s algorithm (eki-project/finn-plus
``set_folding.py``, commit 06dde0f8): MVAU SIMD through the divisors of MW until cycles
<= target or SIMD x weight bits > 36 (then the previous divisor), then PE through the divisors
of MH until cycles <= target; MVAU cycles = MH/PE * MW/SIMD * pixels; windows by FINN's RTL
window formula; 2-D StreamingMaxPool unfolded (all channels per word).
"""

from __future__ import annotations

import pytest

from streamfold.dse.setfolding import finn_cycles, set_folding, swg_exp_cycles
from streamfold.flow import load_graph, to_kernels
from streamfold.hw.registry import block_of
from streamfold.ir.graph import Graph


@pytest.fixture(scope="module")
def tfc() -> Graph:
    return to_kernels(load_graph("builtin:tfc-w1a1"))


@pytest.fixture(scope="module")
def cnv() -> Graph:
    return to_kernels(load_graph("builtin:cnv-w1a1"))


def _pe_simd(graph: Graph, target: int, relax: bool = True) -> dict[str, tuple[int, int]]:
    point = set_folding(graph, target, two_pass_relaxation=relax)
    return {name: (f.pe, f.simd) for name, f in point.nodes}


def test_tfc_at_64_cycles_accepts_a_layer_at_the_target(tfc: Graph) -> None:
    assert _pe_simd(tfc, 64) == {
        # 784x64: SIMD 28 (next divisor 49 > 36 bits: reverted), 1,792 cycles; PE 32: 56
        "quantlinear1": (32, 28),
        # 64x64: SIMD 32 gives 128 > 64; SIMD 64 gives 64 <= 64: stop (strict < needs PE 2)
        "quantlinear4": (1, 64),
        "quantlinear7": (1, 64),
        # 64x10: SIMD 8 gives 80; SIMD 16 gives 40 <= 64
        "quantlinear10": (1, 16),
    }


def test_tfc_two_pass_relaxation_rebalances_to_the_bottleneck(tfc: Graph) -> None:
    # target 10: quantlinear1 tops out at SIMD 28, PE 64 = 28 cycles, so pass 2 runs at 28
    assert _pe_simd(tfc, 10, relax=False) == {
        "quantlinear1": (64, 28),
        "quantlinear4": (16, 32),  # SIMD 64 = 64 bits > 36: reverted to 32; 64/16 * 2 = 8
        "quantlinear7": (16, 32),
        # SIMD 32: 20 > 10; SIMD 64: 10 <= 10 stops the loop before the 36-bit width check
        "quantlinear10": (1, 64),
    }
    assert _pe_simd(tfc, 10) == {
        "quantlinear1": (64, 28),
        "quantlinear4": (8, 32),  # 64/8 * 2 = 16 <= 28 (PE 4: 32)
        "quantlinear7": (8, 32),
        "quantlinear10": (1, 32),  # SIMD 32: 10 * 2 = 20 <= 28
    }


def test_cnv_at_32768_cycles_layer_by_layer(cnv: Graph) -> None:
    assert _pe_simd(cnv, 32768) == {
        # 3 channels, 32x32, 3x3: 201 + 30 * max(30*9*3, 32*3) = 24,501 <= 32,768 at SIMD 1
        "quantconv2d1_swg": (1, 1),
        # 27x64 at 900 pixels: SIMD 27 (27 bits <= 36) gives 57,600; PE 2: 28,800
        "quantconv2d1": (2, 27),
        # 64 ch, 30x30 -> 28x28: SIMD 8 gives 504 + 28 * 2,016 = 56,952; SIMD 16: 28,476
        "quantconv2d4_swg": (1, 16),
        # 576x64 at 784: SIMD 36 (48 > 36 bits: reverted), 802,816; PE 32: 25,088
        "quantconv2d4": (32, 36),
        "maxpool2d7": (1, 64),  # StreamingMaxPool, 2-D: every channel per word
        "quantconv2d8_swg": (1, 4),
        "quantconv2d8": (16, 36),  # 576x128 at 144: 128/16 * 16 * 144 = 18,432 (PE 8: 36,864)
        "quantconv2d11_swg": (1, 4),
        "quantconv2d11": (16, 36),  # 1152x128 at 100: 8 * 32 * 100 = 25,600
        "maxpool2d14": (1, 128),
        "quantconv2d15_swg": (1, 1),
        "quantconv2d15": (4, 36),  # 1152x256 at 9: 64 * 32 * 9 = 18,432 (PE 2: 36,864)
        "quantconv2d18_swg": (1, 1),
        "quantconv2d18": (1, 18),  # 2304x256: SIMD 18 gives 256 * 128 = 32,768 <= target
        "quantlinear22": (1, 4),  # 256x512: SIMD 4 gives 512 * 64 = 32,768
        "quantlinear25": (1, 8),  # 512x512: SIMD 8 gives 32,768
        "quantlinear28": (1, 1),  # 512x10: 5,120 at SIMD 1
    }


def test_window_formula_is_finns(cnv: Graph) -> None:
    """FINN's ConvolutionInputGenerator_rtl estimate, by hand for the second window."""
    node = cnv.node("quantconv2d4_swg")  # 64 channels, 30x30 in, 3x3, stride 1: 28x28 out
    params = block_of(node).params(cnv, node)
    for simd in (8, 16):
        cf = 64 // simd
        expected = (2 * 30 + 2 + 1) * cf + 28 * max(28 * 9 * cf, 30 * cf)
        assert swg_exp_cycles(params, simd) == expected
    assert swg_exp_cycles(params, 8) == 56_952 > 32_768 >= swg_exp_cycles(params, 16) == 28_476


def test_every_layer_meets_the_target_where_it_can(cnv: Graph) -> None:
    point = set_folding(cnv, 32768)
    for node in cnv.nodes:
        params = block_of(node).params(cnv, node)
        assert finn_cycles(node, params, point.folding(node.name)) <= 32768, node.name
