"""The command line's manners: --version, list, one device option, help on every option,
quiet on a closed pipe."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import streamfold
from streamfold.cli import build_parser, main
from streamfold.cost.devices import DEVICES
from streamfold.frontend.torch import export
from streamfold.ir import print_graph
from streamfold.models import mlp
from streamfold.zoo import NAMES, describe

SRC = Path(streamfold.__file__).resolve().parents[1]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"streamfold {streamfold.__version__}\n"


def test_list_devices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "devices"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + len(DEVICES)
    for line, dev in zip(lines[1:], DEVICES.values(), strict=True):
        assert line.split()[:3] == [dev.name, dev.family.value, f"{dev.luts:,}"]
        assert line.endswith(", ".join(dev.boards))


def test_list_builtins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "builtins"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [f"builtin:{n}" for n in NAMES]
    assert lines[0].endswith("1-bit weights, 1-bit activations")
    assert describe("cnv-w2a2").startswith("FINN's CNV")


def test_list_needs_a_known_kind() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["list", "boards"])
    assert exc.value.code == 2


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_option_has_help() -> None:
    parser = build_parser()
    missing = []
    for name, command in {"": parser, **_commands(parser)}.items():
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_one_device_option_everywhere_and_target_is_an_alias() -> None:
    parser = build_parser()
    with_device = {
        name
        for name, command in _commands(parser).items()
        if any("--device" in a.option_strings for a in command._actions)
    }
    assert with_device == {"build", "estimate", "explore", "synth", "report"}
    assert parser.parse_args(["build", "m", "-o", "d"]).device is None  # the point's, else xc7z020
    assert parser.parse_args(["synth", "d", "--target", "lfe5u-85f"]).device == "lfe5u-85f"
    assert parser.parse_args(["synth", "d", "--device", "lfe5u-25f"]).device == "lfe5u-25f"
    assert parser.parse_args(["synth", "d"]).device == "xc7z020"


@pytest.fixture(scope="module")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    model = mlp(36, (24,), 6, weight_bits=2, act_bits=2, input_bits=4).train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(64, 36))
    work = tmp_path_factory.mktemp("pipe")
    (work / "mlp.sfir").write_text(print_graph(export(model.eval(), (36,))))
    assert main(["build", str(work / "mlp.sfir"), "-o", str(work / "hw"), "-q"]) == 0
    return work / "hw"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}


def test_closed_pipe_through_head_is_quiet(small_build: Path) -> None:
    """The brief's own command line: ``streamfold estimate DIR --json | head -1``."""
    cmd = f"'{sys.executable}' -m streamfold.cli estimate '{small_build}' --json | head -1"
    proc = subprocess.run(
        ["bash", "-c", cmd], capture_output=True, text=True, env=_env(), timeout=120
    )
    assert proc.returncode == 0
    assert proc.stdout == "{\n"
    assert proc.stderr == ""


def test_reader_gone_before_the_first_write(small_build: Path) -> None:
    """A pipe whose reader has closed: every write fails (EPIPE); nothing on stderr, exit 141."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "streamfold.cli", "estimate", str(small_build), "--json"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            timeout=120,
        )
    finally:
        os.close(write)
    assert proc.stderr == ""
    assert proc.returncode == 141


def test_build_reports_its_phase_on_stderr_unless_quiet(
    small_build: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from streamfold import progress

    monkeypatch.setattr(progress, "QUIET_S", 0.0)  # every phase, however quick
    model = small_build.parent / "mlp.sfir"
    out = small_build.parent / "again"
    assert main(["build", str(model), "-o", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[0].endswith(f"build: lower {model}, fold and write the RTL to {out} ...")
    assert " done in " in err[1]
    assert main(["build", str(model), "-o", str(out), "-q"]) == 0
    assert capsys.readouterr().err == ""
