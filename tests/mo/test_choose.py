"""Dataflow or MO (``mo.choose``, ``explore --arch auto``, ``build --arch mo|auto``): the
faster architecture that fits, the reason, and both failures named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mo_nets import vgg224

from streamfold.cli import main
from streamfold.cost.devices import device
from streamfold.errors import ResourceError
from streamfold.flow import to_kernels
from streamfold.ir.graph import Graph
from streamfold.mo.choose import choose_architecture
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
    assert lines[1].startswith("MO engine: ") and "logic not estimated" in lines[1]
    assert lines[2] == f"picked:    dataflow ({arch.reason})"


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
    assert out.splitlines()[2].startswith("picked:    dataflow (")
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
