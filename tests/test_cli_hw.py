"""`streamfold build` and `streamfold sim`: the user's path to RTL, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from streamfold.cli import main
from streamfold.frontend.torch import export
from streamfold.ir import print_graph
from streamfold.models import mlp


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    model = mlp(36, (24,), 6, weight_bits=2, act_bits=2, input_bits=4).train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(64, 36))
    path = tmp_path_factory.mktemp("model") / "mlp.sfir"
    path.write_text(print_graph(export(model.eval(), (36,))))
    return path


@pytest.mark.rtl
def test_build_then_sim_rtl(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "hw"
    assert main(["build", str(model_file), "-o", str(out), "--folding", "balanced"]) == 0
    text = capsys.readouterr().out
    assert "initiation interval:" in text and "frames/s at 100 MHz" in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["top"] == "sf_top" and manifest["predicted"]["cycles_per_frame"] > 0
    assert main(["sim", str(out), "--frames", "50", "--rtl", "--stall", "0.25", "-q"]) == 0
    assert "outputs equal the reference bit for bit (300 values)" in capsys.readouterr().out
    assert main(["sim", str(out), "--frames", "20", "--rtl", "-q"]) == 0
    assert "(+0.00 %)" in capsys.readouterr().out


def test_sim_reference_only_with_input_file(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "hw"
    assert main(["build", str(model_file), "-o", str(out)]) == 0
    codes = tmp_path / "x.npy"
    np.save(codes, np.arange(3 * 36).reshape(3, 36) % 16)
    capsys.readouterr()
    assert main(["sim", str(out), "--input", str(codes)]) == 0
    assert capsys.readouterr().out.startswith("exact reference: 3 frames, outputs (6,)")


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_illegal_folding_file(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folding = tmp_path / "f.json"
    folding.write_text(
        json.dumps({"nodes": {"quantlinear1": {"pe": 5, "simd": 1}, "quantlinear4": {}}})
    )
    err = _error(
        capsys, ["build", str(model_file), "-o", str(tmp_path / "hw"), "--folding", str(folding)]
    )
    assert err == "streamfold: error: quantlinear1: pe=5 must divide out_features=24\n"
    assert not (tmp_path / "hw").exists()
    assert not list(tmp_path.glob(".hw.partial-*"))


def test_unknown_preset(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _error(
        capsys, ["build", str(model_file), "-o", str(tmp_path / "hw"), "--folding", "fast"]
    )
    assert err.startswith("streamfold: error: folding preset: must be folded, balanced, cycles=N")


def test_build_refuses_to_overwrite_a_foreign_directory(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "precious"
    victim.mkdir()
    (victim / "notes.txt").write_text("keep me")
    err = _error(capsys, ["build", str(model_file), "-o", str(victim)])
    assert "must be empty or a streamfold build directory" in err
    assert (victim / "notes.txt").read_text() == "keep me"


def test_sim_needs_a_build_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _error(capsys, ["sim", str(tmp_path)])
    assert err == (
        f"streamfold: error: {tmp_path}: must be a build directory with manifest.json "
        "(run streamfold build)\n"
    )
