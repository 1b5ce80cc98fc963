"""Fit-aware builds: an oversized preset is refused (API and CLI) naming the resource, its
estimate, the capacity and the percentage; --force writes it; presets move weight memories to
block RAM where LUTs overflow; a fitting design is unaffected."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

import streamfold
from streamfold.cli import main
from streamfold.cost.devices import device
from streamfold.design import stitch
from streamfold.design.point import DesignPoint
from streamfold.dse.fit import design_resources, fit_memory, fits
from streamfold.errors import FoldingError, ResourceError
from streamfold.flow import design_point, load_graph, to_kernels
from streamfold.hw.block import MemStyle
from streamfold.ir.graph import Graph

TFC = "builtin:tfc-w1a1"
# cycles=64 on the 24k-LUT ECP5 needs about twice its LUTs and flip-flops even with every weight
# memory in block RAM (``streamfold estimate`` on 2026-12-05: 45,607 FF, 188 %; the message names
# the scarcest, LUT or FF: the part has 24,288 of each)
REFUSED = (
    r"^build: (?:LUT|FF) must be <= 24288 on lfe5u-25f, not (\d+) \((\d+) over, (\d+) % of the "
    r"device\) \(pass --force / force=True to write it anyway\)$"
)


@pytest.fixture(scope="module")
def tfc() -> Graph:
    return to_kernels(load_graph(TFC))


def _check_numbers(message: str) -> None:
    """The estimate, the excess and the percentage in the message agree with each other."""
    m = re.match(REFUSED, message)
    assert m is not None, message
    used, over, percent = (int(g) for g in m.groups())
    assert used - 24288 == over > 0
    assert percent == round(100 * used / 24288)


def test_oversized_preset_is_refused_by_the_api(tmp_path: Path) -> None:
    acc = streamfold.compile(TFC, device="lfe5u-25f", folding="cycles=64")
    with pytest.raises(ResourceError) as err:
        acc.build(tmp_path / "out")
    _check_numbers(str(err.value))
    assert not (tmp_path / "out").exists()
    assert acc.build_dir is None


def test_force_writes_an_oversized_design_with_a_warning(tmp_path: Path) -> None:
    acc = streamfold.compile(TFC, device="lfe5u-25f", folding="cycles=64")
    with pytest.warns(
        UserWarning, match=r"(LUT|FF) must be <= 24288 on lfe5u-25f.*anyway \(force\)"
    ):
        out = acc.build(tmp_path / "out", force=True)
    assert (out / "manifest.json").is_file()


def test_cli_refuses_in_one_line_and_writes_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = ["build", TFC, "--folding", "cycles=64", "--device", "lfe5u-25f", "-o", str(out), "-q"]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    _check_numbers(err.removeprefix("streamfold: error: "))
    assert not out.exists()
    with pytest.warns(UserWarning, match="anyway"):
        assert main([*args, "--force"]) == 0
    assert (out / "manifest.json").is_file()
    # the design point file records its device: built from it without --device, it is refused
    point = json.loads((out / "design_point.json").read_text())
    recorded = tmp_path / "point.json"
    recorded.write_text(json.dumps({**point, "device": "lfe5u-25f"}))
    again = ["build", TFC, "--folding", str(recorded), "-o", str(tmp_path / "again"), "-q"]
    assert main(again) == 1
    _check_numbers(capsys.readouterr().err.strip().removeprefix("streamfold: error: "))
    assert main([*again, "--device", "xc7z020"]) == 0


def test_preset_moves_weights_to_block_ram_where_luts_overflow(tfc: Graph) -> None:
    small = replace(device("lfe5u-25f"), name="lfe5u-10k", luts=10_000)
    distributed = design_point(tfc, "balanced", MemStyle.DISTRIBUTED)
    assert not fits(design_resources(stitch(tfc, distributed), small), small)
    fitted = design_point(tfc, "balanced", MemStyle.DISTRIBUTED, dev=small)
    res = design_resources(stitch(tfc, fitted), small)
    assert fits(res, small) and 0 < res.bram <= small.bram
    moved = [n for (n, f), (_, g) in zip(distributed.nodes, fitted.nodes, strict=True) if f != g]
    assert moved and all(fitted.folding(n).mem_style is MemStyle.BLOCK for n in moved)
    # only the memory style changes: the throughput the preset chose is kept
    assert [(f.pe, f.simd) for _, f in fitted.nodes] == [
        (f.pe, f.simd) for _, f in distributed.nodes
    ]


def test_fitting_design_is_unaffected(tfc: Graph) -> None:
    dev = device("xc7z020")
    point = design_point(tfc, "balanced", MemStyle.DISTRIBUTED)
    assert fit_memory(tfc, point, dev) == point
    assert design_point(tfc, "balanced", MemStyle.DISTRIBUTED, dev=dev) == point


def test_explore_records_the_device_and_points_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "point.json"
    argv = ["explore", TFC, "--device", "lfe5u-25f", "--goal", "max-fps", "-o", str(out), "-q"]
    assert main(argv) == 0
    capsys.readouterr()
    point = DesignPoint.from_json(out.read_text())
    assert point.device == "lfe5u-25f"
    assert DesignPoint.from_json(point.to_json()) == point
    bad = json.dumps({**json.loads(out.read_text()), "device": 7})
    with pytest.raises(FoldingError, match=r"^design point: device must be a device name, not 7$"):
        DesignPoint.from_json(bad)
