"""The wheel asks for version ranges, not exact pins, so that ``pip install`` keeps a user's
torch 2.x (slow: builds the wheel and installs it into a fresh virtual environment)."""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import streamfold

REPO = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, **kw)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{cmd}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # a copy of the project: setuptools writes build/ and an egg-info beside the sources
    project = tmp_path_factory.mktemp("project")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, project / name)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "src", project / "src", ignore=skip)
    dist = tmp_path_factory.mktemp("dist")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-w", str(dist), str(project)],
        cwd=project,
    )  # fmt: skip
    (found,) = dist.glob("streamfold-*.whl")
    return found


def _requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_bytes(z.read(name))
    return [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]


@pytest.mark.slow
def test_runtime_requirements_are_ranges(wheel: Path) -> None:
    requires = _requires(wheel)
    assert any(r.startswith("torch") for r in requires)
    assert [r for r in requires if "==" in r] == []


@pytest.mark.slow
def test_install_keeps_the_installed_torch(wheel: Path, tmp_path: Path) -> None:
    """A fresh venv that sees this environment's packages (torch 2.x among them, as through
    --system-site-packages): pip installs streamfold alone, and torch stays as it was."""
    import torch

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    py = venv / "bin" / "python"
    site = Path(
        _run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    # this environment's packages, after the venv's own (what --system-site-packages gives)
    (site / "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    report = tmp_path / "plan.json"
    _run([str(py), "-m", "pip", "install", "--dry-run", "--report", str(report), str(wheel)])
    planned = {i["metadata"]["name"] for i in json.loads(report.read_text())["install"]}
    # streamfold, nothing it depends on that is here already (the venv's own, older
    # setuptools may be upgraded: torch asks for a newer one)
    assert "streamfold" in planned and not planned & {"torch", "onnx", "numpy", "matplotlib"}
    _run([str(py), "-m", "pip", "install", str(wheel)])
    probe = "import streamfold, torch; print(streamfold.__file__); print(torch.__version__)"
    where, version = _run([str(py), "-c", probe]).stdout.split()
    assert Path(where).is_relative_to(site) and version == torch.__version__
    shown = _run([str(venv / "bin" / "streamfold"), "--version"]).stdout
    assert shown == f"streamfold {streamfold.__version__}\n"
