"""streamfold.progress: phases with names, log path first and elapsed time; silent unless
asked; quick phases silent in a log, so that a quick failure stays one line."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest

from streamfold import progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_outside_reporting(capsys: pytest.CaptureFixture[str]) -> None:
    assert not progress.enabled()
    with progress.phase("work"):
        progress.note("hello")
    with progress.reporting(False), progress.phase("work"):
        assert not progress.enabled()
    assert capsys.readouterr() == ("", "")


def test_log_lines_only_for_long_phases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "QUIET_S", 0.05)
    out = io.StringIO()
    with progress.reporting(True, out):
        with progress.phase("quick"):
            pass
        with progress.phase("yosys: synthesise", log=Path("w/yosys.log")):
            time.sleep(0.3)
        with pytest.raises(ValueError), progress.phase("sim"):
            time.sleep(0.3)
            raise ValueError
    lines = [re.sub(r"^\[ *[\d.]+ s\] ", "", line) for line in out.getvalue().splitlines()]
    assert lines[:3] == [
        "yosys: synthesise: log w/yosys.log",
        "yosys: synthesise ...",
        lines[2],
    ]
    assert re.fullmatch(r"yosys: synthesise: done in 0\.[3-9] s", lines[2])
    assert lines[3] == "sim ..."
    assert re.fullmatch(r"sim: failed in 0\.[3-9] s", lines[4])
    assert len(lines) == 5  # nothing about "quick"


def test_terminal_line_ticks_with_elapsed_time_and_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "TICK_S", 0.05)
    out = _Terminal()
    with progress.reporting(True, out), progress.phase("verilator: compile", log=Path("b.log")):
        time.sleep(1.1)
    text = out.getvalue()
    assert text.splitlines()[0].endswith("verilator: compile: log b.log")
    frames = [f.strip() for f in text.split("\r") if f.strip()]
    assert "verilator: compile: 00:00" in frames  # redrawn while running ...
    assert frames[-1] == "verilator: compile: 00:01, done"  # ... and final
    assert "0/1" not in text and "it/s" not in text


def test_inner_phase_interrupts_and_resumes_the_outer(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _Terminal()
    with progress.reporting(True, out), progress.phase("sim"), progress.phase("compile"):
        pass
    frames = [f.strip() for f in out.getvalue().split("\r") if f.strip()]
    assert frames.index("sim: 00:00, ...") < frames.index("compile: 00:00, done")
    assert frames[-1] == "sim: 00:00, done"
