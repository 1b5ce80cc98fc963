"""Progress of long steps (synthesis, search, build, RTL simulation), on stderr.

A step over a few seconds says what it is doing while it runs: one line per phase, with its
name, the log file to follow (printed first) and the elapsed time, ticking while the phase runs
(a spinner-like ``tqdm.auto`` line on a terminal, a widget in notebooks) and final when it ends;
written to a file or a pipe, a line once a phase has run two seconds and one when it ends.
Nothing is printed on stdout, so ``streamfold estimate --json | ...`` stays clean.

Library code reports through the module functions ``phase`` and ``note``; they print only inside
``reporting(True)`` (the CLI opens one unless ``-q``), and are silent otherwise, so a library
caller sees nothing unless it asks::

    with progress.reporting(enabled=not quiet):
        with progress.phase("yosys: synth_xilinx", log=workdir / "yosys.log"):
            run_yosys(...)
"""

from __future__ import annotations

import contextvars
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

# how often a running phase's elapsed time is redrawn (seconds)
TICK_S = 0.5
# written to a file or pipe, a phase says nothing unless it runs longer than this (seconds)
QUIET_S = 2.0


class _Live:
    """A phase drawn as a live line: its tqdm bar and the thread redrawing its elapsed time."""

    def __init__(self, name: str, out: TextIO, start: float | None = None) -> None:
        self.name, self.out = name, out
        self.bar = _bar(name, out)
        if start is not None:  # resumed after an inner phase: keep counting from its start
            self.bar.start_t = start
        self.stop = threading.Event()
        self.ticker = threading.Thread(target=_tick, args=(self.bar, self.stop), daemon=True)
        self.ticker.start()

    def close(self, postfix: str) -> float:
        """Stop redrawing, leave the line with ``postfix``; the phase's start time."""
        self.stop.set()
        self.ticker.join()
        self.bar.set_postfix_str(postfix, refresh=False)
        self.bar.close()
        start: float = self.bar.start_t
        return start


@dataclass
class Reporter:
    """Where phases are reported (``stream``, default stderr) and since when."""

    stream: TextIO | None = None
    start: float = field(default_factory=time.monotonic)
    _open: list[_Live] = field(default_factory=list)

    def _out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stderr

    def note(self, text: str) -> None:
        """One line, prefixed by the seconds since reporting began."""
        print(f"[{time.monotonic() - self.start:6.1f} s] {text}", file=self._out(), flush=True)

    @contextmanager
    def phase(self, name: str, log: Path | None = None) -> Iterator[None]:
        """``name`` (and ``log``) first, the elapsed time while it runs, ``done``/``failed``.
        An inner phase closes its outer one's line (``...``), which resumes after it."""
        if not _live(self._out()):
            with self._lines(name, log):
                yield
            return
        if log is not None:
            self.note(f"{name}: log {log}")
        outer = self._open[-1] if self._open else None
        outer_start = outer.close("...") if outer is not None else None
        self._open.append(_Live(name, self._out()))
        ok = False
        try:
            yield
            ok = True
        finally:
            # this phase's line: an inner phase may have replaced the one opened above
            self._open.pop().close("done" if ok else "failed")
            if outer is not None:
                self._open[-1] = _Live(outer.name, outer.out, outer_start)

    @contextmanager
    def _lines(self, name: str, log: Path | None) -> Iterator[None]:
        """For a log file or a pipe: a line (and the log's) once the phase has run
        ``QUIET_S``, and then one when it ends; a quick phase prints nothing, so that a quick
        failure stays one line on stderr."""
        start = time.monotonic()
        lock = threading.Lock()
        said: list[bool] = []

        def announce() -> None:
            with lock:
                if log is not None:
                    self.note(f"{name}: log {log}")
                self.note(f"{name} ...")
                said.append(True)

        timer = threading.Timer(QUIET_S, announce)
        timer.daemon = True
        if QUIET_S <= 0:
            announce()
        else:
            timer.start()
        ok = False
        try:
            yield
            ok = True
        finally:
            timer.cancel()
            with lock:
                if said:
                    took = time.monotonic() - start
                    self.note(f"{name}: {'done' if ok else 'failed'} in {took:.1f} s")


def _live(out: TextIO) -> bool:
    """Whether ``out`` shows a redrawn line: a terminal, or a notebook (tqdm.auto's widget)."""
    isatty = getattr(out, "isatty", None)
    return bool(isatty is not None and isatty()) or "ipykernel" in sys.modules


def _bar(name: str, out: TextIO) -> Any:
    from tqdm.auto import tqdm

    # no total: no frozen "0/1" bar, only the name and the elapsed time (and done/failed)
    return tqdm(
        desc=name,
        total=None,
        file=out,
        bar_format="{desc}: {elapsed}{postfix}",
        leave=True,
        ncols=max(shutil.get_terminal_size((100, 20)).columns, 40),
    )


def _tick(bar: Any, stop: threading.Event) -> None:
    while not stop.wait(TICK_S):
        bar.refresh()


_current: contextvars.ContextVar[Reporter | None] = contextvars.ContextVar(
    "streamfold_progress", default=None
)


@contextmanager
def reporting(enabled: bool = True, stream: TextIO | None = None) -> Iterator[Reporter | None]:
    """Within this block, ``phase`` and ``note`` print (when ``enabled``) to ``stream``."""
    reporter = Reporter(stream) if enabled else None
    token = _current.set(reporter)
    try:
        yield reporter
    finally:
        _current.reset(token)


@contextmanager
def phase(name: str, log: Path | None = None) -> Iterator[None]:
    """A named phase of the current step (silent outside ``reporting(True)``)."""
    reporter = _current.get()
    if reporter is None:
        yield
        return
    with reporter.phase(name, log):
        yield


def note(text: str) -> None:
    """A line about the current step (silent outside ``reporting(True)``)."""
    reporter = _current.get()
    if reporter is not None:
        reporter.note(text)


def enabled() -> bool:
    """Whether progress is being reported (for a counted ``tqdm`` loop's ``disable=``)."""
    return _current.get() is not None
