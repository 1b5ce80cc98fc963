"""A simulator served as a line protocol over pipes (the virtual boards' harnesses): one
command line in, one answer line out."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from streamfold.errors import SimulationError

_FAILURES = ("timeout", "bad", "unknown")


class LineProcess:
    def __init__(self, cmd: Sequence[str], cwd: Path, what: str) -> None:
        self.what = what
        self._proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def ask(self, line: str) -> str:
        """Send one command; its answer (SimulationError when the simulator exited or the
        command failed: "timeout", "bad", "unknown")."""
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
        except BrokenPipeError:
            pass  # reported below, with the simulator's own last words
        answer = proc.stdout.readline()
        if not answer:
            err = proc.stderr.read() if proc.stderr else ""
            raise SimulationError(
                f"{self.what}: the simulator must answer {line.split()[0]!r}, and exited "
                f"(code {proc.poll()}): {err[-2000:]}"
            )
        answer = answer.strip()
        if answer in _FAILURES:
            raise SimulationError(f"{self.what}: command {line[:60]!r} failed: {answer}")
        return answer

    def close(self) -> None:
        proc = self._proc
        if proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()  # the harness ends at the end of its input
            proc.wait(timeout=10)
        for f in (proc.stdout, proc.stderr):
            if f is not None:
                f.close()
