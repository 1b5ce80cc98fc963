"""Place and route for ECP5 (nextpnr-ecp5, ecppack) and ``streamfold synth``.

The slow test takes a TFC-W1A1 (784-64-64-64-10, random data, one short epoch: the weights only
need to be realistic, not accurate) through Yosys, nextpnr and ecppack for LFE5U-85F with the
pip-installed YoWASP tools; docs/benchmarks.md records its numbers.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from streamfold.cli import main
from streamfold.cost.devices import device
from streamfold.errors import ResourceError, StreamfoldError
from streamfold.synth.implement import implement_build
from streamfold.synth.nextpnr import place_and_route, place_and_route_seeds, read_report

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).with_name("data")


def test_report_gives_fmax_utilisation_and_critical_path() -> None:
    report = read_report(DATA / "tfc_w1a1_folded_lfe5u85f.report.json")
    assert 20 < report.fmax_mhz < 400
    used = {name: (n, avail) for name, n, avail in report.utilisation}
    assert used["TRELLIS_COMB"][1] == 83_640 and used["DP16KD"][1] == 208
    path = report.critical_path
    assert path is not None and path.logic_levels >= 1
    assert path.delay_ns == pytest.approx(sum(s.delay_ns for s in path.steps))
    assert path.summary().startswith(path.start)


def test_place_and_route_is_for_ecp5_only(tmp_path: Path) -> None:
    with pytest.raises(
        StreamfoldError,
        match=r"^place and route: device must be one of lfe5u-25f, lfe5u-85f, not xc7z020$",
    ):
        place_and_route(tmp_path / "netlist.json", device("xc7z020"))


def test_quick_place_and_route_flags_are_accepted_by_nextpnr(tmp_path: Path) -> None:
    """``quick`` adds ``--no-tmdriv --router router2`` (bench/peaks.py's big designs), and the
    pip-installed nextpnr-ecp5 takes them: run on a missing netlist, it gets past the options
    to the netlist (an unknown flag fails earlier, with "unrecognised option")."""
    with pytest.raises(StreamfoldError) as err:
        place_and_route(tmp_path / "netlist.json", device("lfe5u-25f"), quick=True, timeout_s=300)
    message = str(err.value)
    assert "--no-tmdriv --router router2" in message
    assert "Failed to open '--json' file 'netlist.json'" in message
    assert "unrecognised option" not in message


def test_cli_synth_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", str(tmp_path), "--target", "xc7a35t"]) == 1
    assert "device: name must be one of xc7z020" in capsys.readouterr().err
    assert main(["synth", str(tmp_path), "--target", "xc7z020"]) == 1
    assert "must be a build directory with manifest.json" in capsys.readouterr().err


def test_synth_refuses_a_bad_clock_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["synth", str(tmp_path), "--device", "lfe5u-25f", "--clock-mhz", "-5"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "synth: --clock-mhz" in err and "-5" in err


def test_seed_sweep_refuses_repeated_or_no_seeds(tmp_path: Path) -> None:
    for seeds in ([], [1, 2, 1]):
        with pytest.raises(StreamfoldError, match=r"^place and route: seeds must be distinct"):
            place_and_route_seeds(tmp_path / "netlist.json", device("lfe5u-25f"), seeds)
    with pytest.raises(StreamfoldError, match=r"netlist\.json must be a synth_ecp5 JSON netlist"):
        place_and_route_seeds(tmp_path / "netlist.json", device("lfe5u-25f"), [1, 2])
    with pytest.raises(StreamfoldError, match=r"^place and route: device must be one of"):
        place_and_route_seeds(tmp_path / "netlist.json", device("xc7z020"), [1, 2])


def test_cli_synth_refuses_a_bad_seed_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["synth", str(tmp_path), "--target", "lfe5u-25f", "--seeds", "0"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "synth: --seeds: must be an integer in 1..64, not 0" in err


@pytest.mark.synth
def test_seed_sweep_places_each_seed_apart_and_keeps_the_fastest(
    tmp_path: Path, block_mvau_netlist: tuple[Path, int]
) -> None:
    """Three seeds, two at a time, at a clock none can meet: every seed is placed in its own
    folder, and the fastest one's report is the result's, beside the netlist. At a clock the
    first meets, one at a time, the sweep stops there (and packs that placement)."""
    netlist, _ = block_mvau_netlist  # in tmp_path
    dev = device("lfe5u-25f")
    pnr = place_and_route_seeds(netlist, dev, [3, 1, 2], target_mhz=2000, workers=2)
    assert [s for s, _ in pnr.tried] == [3, 1, 2]  # two batches: [3, 1], then [2]
    for seed, fmax in pnr.tried:
        assert read_report(tmp_path / f"seed{seed}" / "report.json").fmax_mhz == fmax
    best_seed, best = max(pnr.tried, key=lambda t: t[1])
    assert (pnr.seed, pnr.fmax_mhz) == (best_seed, best)
    assert pnr.report_path == tmp_path / "report.json"
    assert read_report(pnr.report_path).fmax_mhz == best < 2000
    assert pnr.bram_output_ffs > 0  # moved once, in the netlist every seed copies
    assert (tmp_path / "top.config").is_file()

    again = place_and_route_seeds(netlist, dev, [7, 8], target_mhz=10, workers=1, bitstream=True)
    assert [s for s, _ in again.tried] == [7] and again.seed == 7 and again.fmax_mhz >= 10
    assert not (tmp_path / "seed8").exists()
    assert again.bitstream == tmp_path / "top.bit" and again.bitstream.stat().st_size > 10_000


@pytest.fixture(scope="module")
def tfc_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from streamfold.codegen.top import stitch, write_build
    from streamfold.dse.design_point import folding_preset
    from streamfold.flow import to_kernels
    from streamfold.frontend.torch import export
    from streamfold.models import tfc
    from streamfold.training import TrainConfig, fit

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = tfc(1, 1)
    x, y = rng.random((512, 784), dtype=np.float32), rng.integers(0, 10, 512)
    fit(model, x, y, TrainConfig(epochs=1, progress=False))
    graph = to_kernels(export(model, (784,)))
    design = stitch(graph, folding_preset(graph, "folded"))  # 8-bit ports: fits the I/O
    return write_build(design, tmp_path_factory.mktemp("tfc") / "tfc-w1a1")


@pytest.mark.synth
@pytest.mark.slow
def test_tfc_places_routes_and_packs_for_lfe5u_85f(
    tfc_build: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["synth", str(tfc_build), "--target", "lfe5u-85f", "--bitstream", "--clock-mhz", "80"]
    assert main(args) == 0
    out = capsys.readouterr().out
    print(out)  # the numbers, for docs/benchmarks.md (pytest -s)
    assert "Fmax" in out and "critical path:" in out and "(target 80 MHz)" in out
    # 50,176 cycles/frame (folded TFC): frames/s at the clock asked for and at the Fmax
    assert "frames/s at 80 MHz, " in out and "frames/s at the achieved Fmax" in out
    bit = tfc_build / "synth" / "ecp5" / "top.bit"
    assert bit.is_file() and bit.stat().st_size > 100_000
    assert read_report(tfc_build / "synth" / "ecp5" / "report.json").fmax_mhz > 10


@pytest.mark.synth
@pytest.mark.slow
def test_tfc_resources_for_xc7z020(tfc_build: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", str(tfc_build), "--target", "xc7z020"]) == 0
    out = capsys.readouterr().out
    print(out)
    assert "LUT " in out and "RAMB18" in out and "Fmax" not in out


@pytest.mark.synth
@pytest.mark.slow
def test_design_too_big_for_device_names_scarcest_resource(tfc_build: Path) -> None:
    # the part's name and package stay (its pins are looked up by them), its LUTs shrink
    tiny = dataclasses.replace(device("lfe5u-25f"), luts=1_000)
    with pytest.raises(ResourceError, match=r"^tfc-w1a1 on lfe5u-25f: LUT must be <= 1000 on"):
        implement_build(tfc_build, tiny, workdir=tfc_build / "synth" / "tiny")
