"""`streamfold estimate`: per-layer and total resources, cycles, frames/s and utilisation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from streamfold.cli import main
from streamfold.cost.design_cost import estimate_build
from streamfold.cost.devices import device
from streamfold.frontend.torch import export
from streamfold.ir import print_graph
from streamfold.models import mlp

RESOURCES = ("lut", "ff", "lutram", "bram", "dsp")


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    model = mlp(36, (24,), 6, weight_bits=2, act_bits=2, input_bits=4).train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(64, 36))
    root = tmp_path_factory.mktemp("estimate")
    graph = root / "mlp.sfir"
    graph.write_text(print_graph(export(model.eval(), (36,))))
    out = root / "hw"
    assert main(["build", str(graph), "-o", str(out), "--folding", "balanced"]) == 0
    return out


def test_json_totals_are_the_sum_of_layers(
    build_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["estimate", str(build_dir), "--json", "--clock-mhz", "200"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["device"] == "xc7z020" and data["family"] == "xilinx7"
    assert len(data["layers"]) == 2
    for r in RESOURCES:
        assert data["total"][r] == sum(layer["resources"][r] for layer in data["layers"])
    assert data["total"]["lut"] > 0 and data["total"]["ff"] > 0 and data["total"]["dsp"] == 0
    assert data["frames_per_second"] == pytest.approx(200e6 / data["cycles_per_frame"])
    manifest = json.loads((build_dir / "manifest.json").read_text())
    assert data["cycles_per_frame"] == manifest["predicted"]["cycles_per_frame"]
    lut = data["utilisation"]["LUT"]
    assert lut["available"] == device("xc7z020").luts
    assert lut["percent"] == pytest.approx(100 * data["total"]["lut"] / lut["available"])


def test_table_lists_layers_total_and_throughput(
    build_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["estimate", str(build_dir), "--device", "xczu3eg"]) == 0
    text = capsys.readouterr().out
    est = estimate_build(build_dir, "xczu3eg", 100.0)
    for layer in est.layers:
        assert layer.name in text
    assert "total" in text and "utilisation" in text and "RAMB18" in text
    assert f"{est.frames_per_second:,.0f} frames/s at 100 MHz" in text


def test_estimate_is_deterministic(build_dir: Path) -> None:
    a = estimate_build(build_dir, "xc7z020", 100.0).to_json()
    assert a == estimate_build(build_dir, "xc7z020", 100.0).to_json()


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_errors_name_what_is_wrong(
    build_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _error(capsys, ["estimate", str(tmp_path)])
    assert "must be a build directory with manifest.json" in err
    err = _error(capsys, ["estimate", str(build_dir), "--device", "xc7k999"])
    assert "device: name must be one of" in err and "not 'xc7k999'" in err
    err = _error(capsys, ["estimate", str(build_dir), "--clock-mhz", "0"])
    assert "estimate: --clock-mhz: must be a finite number in (0, 2000], not 0" in err
