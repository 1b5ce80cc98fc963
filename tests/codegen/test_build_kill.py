"""Kill tests: ``streamfold build`` killed (SIGKILL) at random points, including while it
replaces a previous build, never leaves a directory any command accepts other than a complete
build, and never loses the previous good build.

The child process says when it starts writing the build directory, and slows each file write,
rename and removal by 10 ms; the kill comes at a random time from that moment to a little past
the end of the writing (measured by one run that is not killed), so that the kills land inside
the transaction and not in Python's start-up. Both replacement
strategies are killed: the atomic exchange (Linux ``renameat2``) and the rename-aside fallback.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from streamfold.codegen.build_dir import BuildDirError, clean_stale, read_manifest
from streamfold.frontend.torch import export
from streamfold.ir import print_graph
from streamfold.models import mlp

SRC = Path(__file__).parents[2] / "src"
CHILD = """
import os, shutil, sys, time
from pathlib import Path
import streamfold.codegen.build_dir as bd
import streamfold.codegen.top as top
from streamfold.cli import main

def slow(f):
    def g(*a, **k):
        time.sleep(0.01)
        return f(*a, **k)
    return g

def announced(f):
    def g(*a, **k):
        print("writing", flush=True)
        out = f(*a, **k)
        print("done", flush=True)
        return out
    return g

top.write_files = announced(top.write_files)

Path.write_bytes = slow(Path.write_bytes)
os.rename = slow(os.rename)
shutil.rmtree = slow(shutil.rmtree)
if sys.argv[1] == "fallback":
    bd._exchange = lambda a, b: False
print("ready", flush=True)
sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two different networks: the previous build is of one, the killed build of the other."""
    root = tmp_path_factory.mktemp("kill")
    paths = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        net = mlp(16, (12,), 4, weight_bits=2, act_bits=2, input_bits=3).train()
        with torch.no_grad():
            for _ in range(4):
                net(torch.rand(32, 16))
        path = root / f"mlp{seed}.sfir"
        path.write_text(print_graph(export(net.eval(), (16,))))
        paths.append(path)
    return paths[0], paths[1]


def _snapshot(build: Path) -> dict[str, bytes]:
    return {
        p.relative_to(build).as_posix(): p.read_bytes() for p in build.rglob("*") if p.is_file()
    }


def _build(model: Path, out: Path) -> dict[str, bytes]:
    from streamfold.cli import main

    assert main(["build", str(model), "-o", str(out)]) == 0
    return _snapshot(out)


def _accepted(path: Path) -> bool:
    try:
        read_manifest(path)
    except BuildDirError:
        return False
    return True


def _child(strategy: str, model: Path, target: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    argv = [sys.executable, "-c", CHILD, strategy, "build", str(model), "-o", str(target)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)


def _writing_seconds(strategy: str, model: Path, target: Path) -> float:
    """How long the child takes to write (and replace) a build, measured once, unkilled."""
    _build(model, target)  # something to replace
    child = _child(strategy, model, target)
    assert child.stdout is not None
    while child.stdout.readline() != b"writing\n":
        pass
    start = time.monotonic()
    assert b"done\n" in child.stdout.readlines()
    seconds = time.monotonic() - start
    assert child.wait(timeout=60) == 0
    return seconds


def kill_once(rng: random.Random, strategy: str, models: tuple[Path, Path], tmp: Path) -> str:
    old_model, new_model = models
    target = tmp / "hw"
    old = _build(old_model, target)
    new = _build(new_model, tmp / "reference")
    writing = _writing_seconds(strategy, new_model, tmp / "timing")
    child = _child(strategy, new_model, target)
    assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    assert child.stdout.readline() == b"writing\n"
    time.sleep(rng.uniform(0.0, 1.2 * writing))
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    # every directory that looks like a build is either the old build or the new one, complete
    for path in tmp.iterdir():
        if path.name not in ("reference", "timing") and _accepted(path):
            assert path == target and _snapshot(path) in (old, new), path
    state = "absent"
    if target.exists():
        assert _accepted(target), "a half-written target"
        state = "old" if _snapshot(target) == old else "new"
    # the previous good build is never lost: the next build of the target (here its first
    # step) puts a build renamed aside back, and removes the staging folders
    clean_stale(target)
    assert _snapshot(target) in ((old, new) if state != "old" else (old,))
    assert not [p for p in tmp.iterdir() if p.name.startswith(".hw.")]
    return state


@pytest.mark.parametrize("strategy", ["exchange", "fallback"])
def test_killed_build_loses_nothing(
    strategy: str, models: tuple[Path, Path], tmp_path: Path
) -> None:
    rng = random.Random(strategy)
    states = [kill_once(rng, strategy, models, tmp_path / f"k{k}") for k in range(2)]
    assert set(states) <= ({"old", "new"} if strategy == "exchange" else {"old", "new", "absent"})


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["exchange", "fallback"])
def test_killed_build_loses_nothing_many(
    strategy: str, models: tuple[Path, Path], tmp_path: Path
) -> None:
    rng = random.Random(f"{strategy}-many")
    states = [kill_once(rng, strategy, models, tmp_path / f"k{k}") for k in range(20)]
    assert set(states) <= ({"old", "new"} if strategy == "exchange" else {"old", "new", "absent"})
    print(f"kill {strategy}: {len(states)} kills, states {sorted(states)}")
