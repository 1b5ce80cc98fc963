"""Dataflow or MO (``mo.choose``, ``explore --arch auto``, ``build --arch mo|auto``): the
faster architecture that fits, the reason, and both failures named."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from mo_nets import vgg224

from streamfold.cli import main
from streamfold.cost.devices import device
from streamfold.errors import ResourceError
from streamfold.flow import to_kernels
from streamfold.ir.graph import Graph
from streamfold.mo.choose import (
    choose_architecture,
    choose_engine,
    network_engine,
)
from streamfold.mo.engine import EngineConfig
from streamfold.zoo import reference_graph


@pytest.fixture(scope="module")
def cnv() -> Graph:
    return to_kernels(reference_graph("cnv-w1a1"))


def test_cnv_on_xc7z020_is_dataflow_and_says_by_how_much(cnv: Graph) -> None:
    arch = choose_architecture(cnv, device("xc7z020"), 100.0)
    assert arch.picked == "dataflow"
    assert arch.dataflow is not None and arch.mo is not None and arch.mo_error is None
    ratio = arch.dataflow.frames_per_second / arch.mo.fps
    assert ratio > 1
    assert arch.reason == f"{ratio:.1f}x the MO engine's frames/s"
    lines = arch.lines()
    assert lines[0].startswith("dataflow:  10,629.3 frames/s (9,408 cycles/frame")
    r = arch.mo_resources
    assert r is not None and r.bram == arch.mo_bram18
    assert lines[1].startswith("MO engine: ")
    assert lines[1].endswith(f" B/cycle, {r.lut:,} LUT, {r.ff:,} FF, {r.bram} RAMB18)")
    assert lines[2] == (
        "           engine SIMD 8 x PE 64, 1-bit weights, 8-bit activations, up to 256 "
        "channels, 3x3 kernels, 32 map (the fastest of the 13 of 25 sizes that fit; "
        "SIMD 16 x PE 32 is only 0.8 % faster; SIMD 16 x PE 64 needs 57,152 LUT, xc7z020 "
        "has 37,240 (70 % of 53,200))"
    )
    assert lines[3] == f"picked:    dataflow ({arch.reason})"


def test_a_network_too_big_for_dataflow_goes_to_the_mo_engine() -> None:
    arch = choose_architecture(vgg224(), device("xc7z020"), 100.0)
    assert arch.picked == "mo"
    assert arch.dataflow is None and arch.dataflow_error is not None
    assert arch.reason == f"no dataflow design fits: {arch.dataflow_error}"
    assert "does not fit" in arch.dataflow_error
    assert arch.mo is not None and arch.mo_bram18 is not None
    assert arch.mo_bram18 <= device("xc7z020").bram


def test_neither_fits_names_both_reasons(cnv: Graph) -> None:
    with pytest.raises(ResourceError) as e:
        choose_architecture(cnv, device("lfe5u-25f"), 100.0)
    text = str(e.value)
    assert text.startswith("architecture: neither fits lfe5u-25f: dataflow: lfe5u-25f: ")
    assert "; MO engine: MO: lfe5u-25f must have external memory" in text


def test_cli_explore_auto_prints_both_and_build_mo_writes_the_schedule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explore", "builtin:cnv-w1a1", "--arch", "auto", "-q"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[3].startswith("picked:    dataflow (")
    assert "goal max-fps" in out  # the dataflow report follows
    assert main(["build", "builtin:cnv-w1a1", "--arch", "mo", "-o", str(tmp_path / "mo")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"wrote {tmp_path / 'mo'} (mo: image.bin, image.hex, schedule.json)")
    schedule = json.loads((tmp_path / "mo" / "schedule.json").read_text())
    assert len(schedule["layers"]) == 11 and schedule["frame_cycles"] > 0


def test_cli_arch_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", "builtin:cnv-w1a1", "--arch", "auto", "--goal", "pareto"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "streamfold: error: explore: --arch auto must be given with --goal max-fps, not pareto"
    )
    assert (
        main(["build", "builtin:cnv-w1a1", "--arch", "mo", "--folding", "balanced", "-o", "x"]) == 1
    )
    err = capsys.readouterr().err
    assert "build: --arch mo chooses the design itself" in err and len(err.splitlines()) == 1


def test_the_engine_takes_the_networks_maxima_and_widths(cnv: Graph) -> None:
    e = network_engine(cnv, 8, 4)
    assert (e.simd, e.pe, e.max_channels, e.max_kernel, e.max_map) == (8, 4, 256, 3, 32)
    assert (e.weight_bits, e.activation_bits) == (1, 8)  # 8-bit input image, 1-bit weights
    e = network_engine(vgg224())
    assert (e.max_channels, e.max_kernel, e.max_map, e.weight_bits, e.activation_bits) == (
        512, 3, 224, 2, 8,
    )  # fmt: skip


def test_the_engine_size_is_searched_per_device(cnv: Graph) -> None:
    """The fastest size whose estimate fits the device; a bigger device takes a bigger one."""
    small = dataclasses.replace(device("xc7z020"), luts=53_200 // 2)
    search = choose_engine(cnv, small, 100.0)
    assert (search.engine.simd, search.engine.pe) == (8, 16)
    assert search.reason == (
        "the fastest of the 6 of 25 sizes that fit; "
        "SIMD 8 x PE 32 needs 20,548 LUT, xc7z020 has 18,620 (70 % of 26,600)"
    )
    assert search.resources.lut <= 0.7 * small.luts
    big = choose_engine(cnv, device("xczu7ev"), 300.0)
    assert (big.engine.simd, big.engine.pe) == (32, 64)
    assert big.plan.fps > search.plan.fps and big.plan.program.engine == big.engine


def test_when_memory_bounds_every_size_a_small_one_is_picked(cnv: Graph) -> None:
    """At 0.01 B/cycle every size waits on memory: the fewest MACs within 1 %
    of the fastest."""
    starved = dataclasses.replace(device("xc7z020"), mem_gbytes_per_s=0.001)
    search = choose_engine(cnv, starved, 100.0)
    assert (search.engine.simd, search.engine.pe) == (8, 8)
    assert search.reason.startswith("the fastest of the 13 of 25 sizes that fit")


def test_no_engine_size_fits_names_the_smallest_shortfall(cnv: Graph) -> None:
    tiny = dataclasses.replace(device("xc7z020"), bram=4)
    with pytest.raises(ResourceError) as e:
        choose_engine(cnv, tiny, 100.0)
    assert str(e.value).startswith("MO: no engine size fits xc7z020: SIMD 8 x PE 4 needs ")
    assert str(e.value).endswith(" RAMB18, xc7z020 has 4")


def test_a_given_engine_is_used_as_it_is(cnv: Graph) -> None:
    arch = choose_architecture(cnv, device("xc7z020"), 100.0, engine=EngineConfig(simd=8, pe=4))
    assert arch.mo is not None and arch.mo.program.engine == EngineConfig(simd=8, pe=4)
    assert arch.mo_engine_reason == "given" and arch.lines()[2].endswith(" map (given)")
    small = dataclasses.replace(device("xc7z020"), bram=10)
    with pytest.raises(ResourceError) as e:
        choose_architecture(cnv, small, 100.0, engine=EngineConfig(simd=8, pe=4))
    need = arch.mo_bram18  # the engine's memories at CNV's sizes with 8 x 4 weight tiles
    assert need == 48
    assert str(e.value).endswith(f"; MO engine: the engine needs {need} RAMB18, xc7z020 has 10")
