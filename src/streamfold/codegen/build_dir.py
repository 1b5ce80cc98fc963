"""Build directories as a transaction, and their verification by every reader.

Writing: the files go to a staging directory beside the target (``.NAME.partial-PID``), which is
then swapped into place in one atomic ``renameat2(RENAME_EXCHANGE)`` (Linux), so that at every
instant the target is either the previous complete build or the new one. Where the exchange is
unavailable the previous build is renamed aside (``.NAME.old-PID``), the new one renamed in, and
the old one deleted; an interrupted replacement is undone by the next build of that target.

A target is refused when replacing it could delete anything that is not a streamfold build:
the working directory or a folder above it, a folder inside a build directory, a symbolic link,
a regular file, or a directory holding files its manifest does not list.

Reading: ``read_manifest`` checks ``manifest.json`` (its own hash and its schema) and the SHA-256
of every file it lists, so that a damaged, truncated or edited build is refused, naming the file.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from streamfold.errors import StreamfoldError

MANIFEST = "manifest.json"
SELF_HASH = "manifest_sha256"
# Files a build directory may hold beyond its manifest's: ``streamfold synth``'s work folder,
# ``sim --rtl``'s measurements and ``streamfold report``'s report.
GENERATED = ("synth", "sim", "report.html", "report.json")
_STAGING = re.compile(r"\.(?P<name>.+)\.(?P<kind>partial|old)-(?P<pid>\d+)$")
_SHA = re.compile(r"[0-9a-f]{64}")


class BuildDirError(StreamfoldError):
    """A build directory is missing, damaged or edited, or a target directory is unsafe."""


# ---------------------------------------------------------------------------------------------
# writing


def manifest_bytes(body: dict[str, Any]) -> bytes:
    """``body`` as the manifest's text, with its own hash (over the rest) added."""
    sealed = dict(body)
    sealed[SELF_HASH] = _body_sha(body)
    return (json.dumps(sealed, indent=2) + "\n").encode()


def _body_sha(body: dict[str, Any]) -> str:
    rest = {k: v for k, v in body.items() if k != SELF_HASH}
    return sha256(json.dumps(rest, sort_keys=True).encode())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_files(files: dict[str, bytes], out_dir: Path) -> Path:
    """Write ``files`` (relative path -> bytes, one being manifest.json) as the build directory
    ``out_dir``, replacing a previous build there in one step."""
    out_dir = Path(out_dir)
    check_target(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BuildDirError(
            f"build: the folder of {out_dir} must be creatable, and is not ({_reason(e)})"
        ) from None
    clean_stale(out_dir)
    tmp = out_dir.with_name(f".{out_dir.name}.partial-{os.getpid()}")
    try:
        _stage(files, tmp)
        _swap_in(tmp, out_dir)
    except OSError as e:
        raise BuildDirError(
            f"build: {out_dir} must be writable, and is not ({_reason(e)})"
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _reason(e: OSError) -> str:
    where = f": {e.filename}" if e.filename else ""
    return f"{e.strerror or type(e).__name__}{where}"


def _stage(files: dict[str, bytes], tmp: Path) -> None:
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    # the manifest last: a staging directory without one is never mistaken for a build
    for rel in sorted(files, key=lambda r: r == MANIFEST):
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[rel])


def _swap_in(tmp: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.rename(tmp, out_dir)
        return
    if _exchange(tmp, out_dir):
        shutil.rmtree(tmp)  # now the previous build
        return
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    os.rename(out_dir, old)
    os.rename(tmp, out_dir)
    shutil.rmtree(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux renameat2); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, bytes(a), at_fdcwd, bytes(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def clean_stale(out_dir: Path) -> None:
    """Remove staging folders of ``out_dir`` left by killed builds; restore a previous build
    renamed aside by a replacement that was interrupted before the new one was renamed in."""
    parent = out_dir.parent
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        m = _STAGING.fullmatch(entry.name)
        if m is None or m["name"] != out_dir.name or _alive(int(m["pid"])):
            continue
        if m["kind"] == "old" and not out_dir.exists():
            os.rename(entry, out_dir)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftovers (an earlier failed call)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_target(out_dir: Path) -> None:
    """Refuse a target whose replacement could delete anything but a streamfold build."""
    where = f"build: -o {out_dir}"
    if out_dir.is_symlink():
        raise BuildDirError(f"{where}: must be a directory, not a symbolic link")
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildDirError(f"{where}: must be a directory, not a file")
    target, cwd = out_dir.resolve(), Path.cwd().resolve()
    if cwd == target or target in cwd.parents:
        raise BuildDirError(
            f"{where}: must not be the working directory or a folder above it ({cwd}); "
            "replacing it would delete the directory you are in"
        )
    for above in target.parents:
        if _is_build(above):
            raise BuildDirError(f"{where}: must not lie inside the build directory {above}")
    for p in target.parents:  # a regular file where a folder must be
        if p.exists() and not p.is_dir():
            raise BuildDirError(f"{where}: {p} must be a directory, not a file")
    if out_dir.is_dir():
        _check_replaceable(out_dir, where)


def _is_build(folder: Path) -> bool:
    """Whether ``folder`` holds a streamfold manifest (not, say, a web app's manifest.json)."""
    if not (folder / MANIFEST).is_file():
        return False
    try:
        data = _manifest_json(folder)
    except BuildDirError:
        return False
    return "streamfold" in data and isinstance(data.get("files"), dict)


def _check_replaceable(out_dir: Path, where: str) -> None:
    entries = sorted(p.name for p in out_dir.iterdir())
    if not entries:
        return
    if MANIFEST not in entries:
        raise BuildDirError(
            f"{where}: must be empty or a streamfold build directory (no {MANIFEST} there)"
        )
    try:
        listed = {*_manifest_json(out_dir)["files"], MANIFEST}
    except (BuildDirError, KeyError, TypeError):
        raise BuildDirError(
            f"{where}: its {MANIFEST} must be a streamfold manifest, and is not; "
            "remove the directory yourself if it is no longer needed"
        ) from None
    tops = {Path(str(rel)).parts[0] for rel in listed} | {MANIFEST, *GENERATED}
    for path in sorted(out_dir.rglob("*")):
        rel = path.relative_to(out_dir)
        ok = rel.parts[0] in GENERATED or (
            rel.as_posix() in listed or (path.is_dir() and rel.parts[0] in tops)
        )
        if not ok or path.is_symlink():
            raise BuildDirError(
                f"{where}: holds {rel.as_posix()}, which is not part of the build; "
                "refusing to delete it (move it away, or choose another -o)"
            )


# ---------------------------------------------------------------------------------------------
# reading


def _manifest_json(build_dir: Path) -> dict[str, Any]:
    path = build_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise BuildDirError(
            f"{path}: must be the JSON manifest written by streamfold build, and is not "
            f"({type(e).__name__}); rebuild the directory"
        ) from None
    if not isinstance(data, dict):
        raise BuildDirError(f"{path}: must hold a JSON object, not {type(data).__name__}")
    return data


def read_manifest(build_dir: Path) -> dict[str, Any]:
    """The manifest of a complete, unmodified build directory (else BuildDirError naming the
    file that is missing, damaged or edited)."""
    build_dir = Path(build_dir)
    if _STAGING.fullmatch(build_dir.resolve().name):
        raise BuildDirError(
            f"{build_dir}: must be a build directory, not the staging folder of an interrupted "
            "build (streamfold build removes it)"
        )
    if not (build_dir / MANIFEST).is_file():
        raise BuildDirError(
            f"{build_dir}: must be a build directory with {MANIFEST} (run streamfold build)"
        )
    data = _manifest_json(build_dir)
    if data.get(SELF_HASH) != _body_sha(data):
        raise BuildDirError(
            f"{build_dir / MANIFEST}: must be unmodified (its {SELF_HASH} does not match its "
            "contents); rebuild the directory"
        )
    _check_schema(build_dir, data)
    for rel, digest in data["files"].items():
        _check_file(build_dir, rel, digest)
    return data


_SCHEMA: dict[str, type | tuple[type, ...]] = {
    "top": str,
    "stream_in": dict,
    "stream_out": dict,
    "input_shape": list,
    "output_shape": list,
    "predicted": dict,
    "internal_streams": list,
    "sources": list,
    "memories": list,
    "files": dict,
}
REQUIRED_FILES = ("graph.hw.sfir", "design_point.json")


def _check_schema(build_dir: Path, data: dict[str, Any]) -> None:
    where = build_dir / MANIFEST
    for key, kind in _SCHEMA.items():
        if not isinstance(data.get(key), kind):
            raise BuildDirError(f"{where}: {key!r} must be present, and is missing or malformed")
    files = data["files"]
    for rel, digest in files.items():
        parts = Path(rel).parts
        if Path(rel).is_absolute() or ".." in parts or not parts or rel == MANIFEST:
            raise BuildDirError(f"{where}: file {rel!r} must be a path inside the directory")
        if not isinstance(digest, str) or not _SHA.fullmatch(digest):
            raise BuildDirError(f"{where}: the hash of {rel} must be 64 hex digits")
    for rel in [*REQUIRED_FILES, *data["sources"], *data["memories"]]:
        if rel not in files:
            raise BuildDirError(f"{where}: {rel!r} must be listed in 'files', and is not")
    for key in ("cycles_per_frame", "latency_cycles"):
        if not isinstance(data["predicted"].get(key), int):
            raise BuildDirError(f"{where}: predicted {key} must be an integer")


def _check_file(build_dir: Path, rel: str, digest: str) -> None:
    path = build_dir / rel
    if path.is_symlink() or not path.is_file():
        raise BuildDirError(f"{path}: must exist (listed in {MANIFEST}); rebuild the directory")
    if sha256(path.read_bytes()) != digest:
        raise BuildDirError(
            f"{path}: must be as streamfold build wrote it, and was changed or damaged "
            f"(SHA-256 differs from {MANIFEST}); rebuild the directory"
        )
