"""Argument checks shared by the CLI and the public API, run before any work.

Each check names where the value came from (``sim: --stall``), the value, and what was expected,
and raises ``ArgumentError`` (a StreamfoldError: one line, exit 1 in the CLI).
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from streamfold.errors import StreamfoldError

# Bounds that no sensible run reaches and that keep every run bounded in time and memory.
MAX_CLOCK_MHZ = 2000.0  # far above any FPGA fabric clock
MAX_SEED = (1 << 32) - 1  # NumPy, PyTorch and Verilator's +verilator+seed all take it
MAX_SEEDS = 64  # synth --seeds: placements of one netlist
MAX_FRAMES = 1_000_000
MAX_EPOCHS = 10_000
MAX_STALL = 0.9
MIN_FPS, MAX_FPS = 1e-6, 1e12  # the simulation takes ~1/(1-p)^2 times longer; 0.9 is already 100x


class ArgumentError(StreamfoldError):
    """An option or API argument outside its range, of the wrong type, or not usable."""


def real(where: str, value: object, lo: float, hi: float, *, lo_open: bool = True) -> float:
    """A finite number in (lo, hi] (or [lo, hi] when not ``lo_open``)."""
    low = "(" if lo_open else "["
    expected = f"a finite number in {low}{lo:g}, {hi:g}]"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentError(f"{where}: must be {expected}, not {value!r}")
    x = float(value)
    if not math.isfinite(x) or x > hi or x < lo or (lo_open and x == lo):
        raise ArgumentError(f"{where}: must be {expected}, not {x:g}")
    return x


def integer(where: str, value: object, lo: int, hi: int) -> int:
    """An integer in [lo, hi] (bool is not an integer here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"{where}: must be an integer in {lo}..{hi:,}, not {value!r}")
    if not lo <= value <= hi:
        raise ArgumentError(f"{where}: must be an integer in {lo}..{hi:,}, not {value:,}")
    return value


def clock_mhz(where: str, value: object) -> float:
    return real(where, value, 0.0, MAX_CLOCK_MHZ)


def fps(where: str, value: object) -> float:
    """Frames/s: from one frame a million seconds (a cycle budget that still fits an int) up."""
    return real(where, value, MIN_FPS, MAX_FPS, lo_open=False)


def lut_cap(where: str, value: object) -> float:
    return real(where, value, 0.0, 1.0)


def seed(where: str, value: object) -> int:
    return integer(where, value, 0, MAX_SEED)


def seeds(where: str, value: object) -> int:
    """A count of placement seeds to sweep (``synth --seeds``)."""
    return integer(where, value, 1, MAX_SEEDS)


def output_file(where: str, path: Path) -> Path:
    """A file that can be written: its folder exists and is writable; it is not a folder."""
    path = Path(path)
    if path.is_dir():
        raise ArgumentError(f"{where}: {path} must be a file name, not a directory")
    writable_folder(where, path.parent, create=False)
    return path


def output_dir(where: str, path: Path) -> Path:
    """A folder that can be created or written: no file in the way, the nearest existing
    folder on its path writable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ArgumentError(f"{where}: {path} must be a directory, not a file")
    existing = path
    while not existing.exists():
        if existing.is_symlink():
            raise ArgumentError(f"{where}: {existing} must not be a dangling symbolic link")
        existing = existing.parent
    if not existing.is_dir():
        raise ArgumentError(
            f"{where}: {path} cannot be created: {existing} must be a directory, not a file"
        )
    writable_folder(where, existing, create=True)
    return path


def writable_folder(where: str, folder: Path, *, create: bool) -> None:
    folder = Path(folder) if str(folder) else Path(".")
    if not folder.is_dir():
        raise ArgumentError(f"{where}: the folder {folder} must exist, and does not")
    try:  # a real write: os.access is wrong for root and for read-only mounts
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        what = "create in" if create else "write to"
        raise ArgumentError(
            f"{where}: the folder {folder} must be writable, and is not "
            f"({e.strerror or type(e).__name__}); cannot {what} it"
        ) from None


def input_file(where: str, path: Path) -> Path:
    path = Path(path)
    if not path.is_file():
        what = "a directory" if path.is_dir() else "missing"
        raise ArgumentError(f"{where}: {path} must be an existing file, and is {what}")
    if not os.access(path, os.R_OK):
        raise ArgumentError(f"{where}: {path} must be readable, and is not")
    return path
