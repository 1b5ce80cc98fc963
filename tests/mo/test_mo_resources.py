"""The MO engine's resource estimate (``mo.resources``) against Yosys synth_xilinx: block RAM
exact, LUT and FF within 10 %. The constants were fitted on SIMD 8 x PE 8 and SIMD 32 x PE 16
at CNV-W1A1's maxima (docs/mo.md "Resources"); the slow test synthesises another size."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamfold.flow import to_kernels
from streamfold.mo.choose import network_engine
from streamfold.mo.compiler import compile_graph
from streamfold.mo.resources import engine_resources
from streamfold.mo.rtl import ENGINE, RAM, REGS, TOP, rtl_parameters
from streamfold.synth.resources import Resources
from streamfold.zoo import reference_graph


def cnv_parameters(simd: int, pe: int) -> dict[str, int]:
    graph = to_kernels(reference_graph("cnv-w1a1"))
    return rtl_parameters(compile_graph(graph, network_engine(graph, simd, pe)))


def assert_close(estimate: Resources, synthesised: Resources) -> None:
    assert estimate.bram == synthesised.bram
    assert estimate.dsp == synthesised.dsp == 0
    assert estimate.lut == pytest.approx(synthesised.lut, rel=0.10)
    assert estimate.ff == pytest.approx(synthesised.ff, rel=0.10)


def test_the_parameters_of_cnv_at_16_x_16() -> None:
    """The RTL parameters the estimate reads: CNV's maps (32 x 32 x 3 input padded to one
    block of 16 channels at 8 bits), one weight tile of 16 x 2,304 1-bit weights per bank."""
    assert cnv_parameters(16, 16) == {
        "SIMD": 16, "PE": 16, "ABITS": 8, "WBITS": 1, "OBITS": 16, "IN_DEPTH": 1024,
        "W_DEPTH": 144, "OUT_DEPTH": 225, "P_DEPTH": 32, "LP": 2, "MAX_LEVELS": 1,
        "MULSHIFT": 0,
    }  # fmt: skip
    # the input map 2 x 2 RAMB36 (1,024 words of 128 bits), weights 4 x 288, output 4 x 225
    assert engine_resources(cnv_parameters(16, 16)).bram == 8 + 8 + 8


@pytest.mark.slow
@pytest.mark.synth
def test_the_estimate_matches_yosys_on_a_small_engine(tmp_path: Path) -> None:
    """SIMD 4 x PE 4 at CNV's maxima (not a fitting point): Yosys 0.70 gave 6,429 LUT,
    3,278 FF, 18 RAMB18 (9 RAMB36) in 39 s on 2026-12-04 (bench/mo_synth.py 4 4)."""
    from streamfold.synth.yosys import synthesize

    params = cnv_parameters(4, 4)
    work = Path.cwd() / "build" / "test-mo-resources"  # YoWASP sees the working directory
    result = synthesize(
        "sf_mo_top", [ENGINE, RAM, REGS, TOP], family="xilinx7", workdir=work,
        parameters=sorted(params.items()),
    )  # fmt: skip
    assert_close(engine_resources(params), result.resources)
