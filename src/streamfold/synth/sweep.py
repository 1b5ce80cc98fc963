"""Synthesis sweeps in parallel: many independent Yosys or nextpnr runs on a Ray cluster.

A calibration or held-out sweep is hours of Yosys on one core; each run is independent, so
``run_sweep`` maps a function over the jobs as Ray tasks: on the local machine by default
(one task per core, or ``workers``), or on any Ray cluster given by ``address`` (what
``ray start --head`` prints, or ``"auto"`` inside one). ``serial=True`` runs them one after
another in this process (also what happens for a single job or ``workers=1``). Results come back
in the order of the jobs whatever order they finish in.

The function must be importable by the workers (a module-level function of an installed
module, or one whose module the workers can import: a local cluster inherits this process's
environment, ``PYTHONPATH`` included) and its jobs and results picklable. A job that raises
stops the sweep with that job named; results of the jobs already finished are in their caches
(the sweeps' functions cache on disk, so a rerun starts where it stopped).

Ray is the ``ray`` extra (``pip install 'streamfold[ray]'``): without it, ``run_sweep`` runs the
jobs in a pool of local processes when no ``address`` is given (the function must then be
importable by name: a module-level function, of ``__main__`` too, on Linux) and raises
``ToolError`` when one is.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from streamfold.cost.devices import Family
from streamfold.errors import ToolError
from streamfold.synth.resources import Resources

J = TypeVar("J")
R = TypeVar("R")


def ray_available() -> bool:
    return importlib.util.find_spec("ray") is not None


def run_sweep(
    fn: Callable[[J], R],
    jobs: Sequence[J],
    *,
    address: str | None = None,
    workers: int | None = None,
    serial: bool = False,
    progress: Callable[[int, int, J], None] | None = None,
) -> list[R]:
    """``[fn(job) for job in jobs]``, the jobs run as parallel Ray tasks (see the module doc).

    ``progress(done, total, job)`` is called in this process as each job finishes."""
    if workers is not None and workers < 1:
        raise ToolError(f"sweep: workers must be >= 1, not {workers}")
    if serial or (address is None and (len(jobs) <= 1 or workers == 1)):
        return _serial(fn, jobs, progress)
    if address is None and not ray_available():
        return _pool(fn, jobs, workers, progress)
    if not ray_available():
        raise ToolError(
            f"sweep: a Ray cluster at {address!r} needs the ray package "
            f"(pip install 'streamfold[ray]'), which is not installed"
        )
    return _on_ray(fn, jobs, address, workers, progress)


def _serial(
    fn: Callable[[J], R], jobs: Sequence[J], progress: Callable[[int, int, J], None] | None
) -> list[R]:
    out = []
    for i, job in enumerate(jobs):
        out.append(_named(fn, job))
        if progress is not None:
            progress(i + 1, len(jobs), job)
    return out


def _pool(
    fn: Callable[[J], R],
    jobs: Sequence[J],
    workers: int | None,
    progress: Callable[[int, int, J], None] | None,
) -> list[R]:
    """The jobs in ``workers`` local processes (no Ray), results in the jobs' order."""
    import concurrent.futures as cf
    import multiprocessing

    n = min(len(jobs), workers or os.cpu_count() or 1)
    results: list[Any] = [None] * len(jobs)
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with cf.ProcessPoolExecutor(n, mp_context=context) as pool:
        futures = {pool.submit(_named, fn, job): i for i, job in enumerate(jobs)}
        for done, future in enumerate(cf.as_completed(futures), start=1):
            i = futures[future]
            try:
                results[i] = future.result()
            except Exception as e:
                for other in futures:
                    other.cancel()
                if isinstance(e, ToolError):
                    raise
                raise ToolError(f"sweep job {jobs[i]}: {type(e).__name__}: {e}") from None
            if progress is not None:
                progress(done, len(jobs), jobs[i])
    return results


def _named(fn: Callable[[J], R], job: J) -> R:
    try:
        return fn(job)
    except ToolError as e:
        raise ToolError(f"sweep job {job}: {e}") from e


def _on_ray(
    fn: Callable[[J], R],
    jobs: Sequence[J],
    address: str | None,
    workers: int | None,
    progress: Callable[[int, int, J], None] | None,
) -> list[R]:
    import ray

    started = not ray.is_initialized()
    if started:
        kwargs: dict[str, Any] = {
            "include_dashboard": False,
            "logging_level": "ERROR",
            "log_to_driver": True,
        }
        if address is None:
            # A local cluster: its workers inherit this environment (PYTHONPATH, tool caches).
            kwargs["num_cpus"] = workers or os.cpu_count() or 1
            path = os.pathsep.join(os.path.abspath(p) for p in sys.path if p)
            kwargs["runtime_env"] = {"env_vars": {"PYTHONPATH": path}}
        else:
            kwargs["address"] = address
        try:
            ray.init(**kwargs)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise ToolError(
                f"sweep: cannot start or reach a Ray cluster at {address!r}: {e}"
            ) from None
    try:
        task: Any = ray.remote(num_cpus=1, max_retries=0)(_named)
        refs = [task.remote(fn, job) for job in jobs]
        index = {ref: i for i, ref in enumerate(refs)}
        results: list[Any] = [None] * len(jobs)
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            i = index[ready[0]]
            try:
                results[i] = ray.get(ready[0])
            except ray.exceptions.RayTaskError as e:
                for ref in pending:
                    ray.cancel(ref, force=True)
                cause = e.cause if isinstance(e.cause, Exception) else e
                if isinstance(cause, ToolError):
                    raise ToolError(str(cause)) from None
                raise ToolError(f"sweep job {jobs[i]}: {type(cause).__name__}: {cause}") from None
            if progress is not None:
                progress(len(jobs) - len(pending), len(jobs), jobs[i])
        return results
    finally:
        if started:
            ray.shutdown()


def synthesize_build_cached(build_dir: Path, family: Family) -> Resources:
    """Yosys resources of a whole build directory (``synth.yosys.synthesize_build``), cached
    beside it in ``<build_dir>.<family>.yosys.json`` under the hash of its manifest: a sweep's
    job that a rerun finds done is instant."""
    from streamfold.synth.yosys import synthesize_build

    build_dir = Path(build_dir)
    digest = hashlib.sha256((build_dir / "manifest.json").read_bytes()).hexdigest()
    path = build_dir.with_name(f"{build_dir.name}.{family.value}.yosys.json")
    if path.is_file():
        cached = json.loads(path.read_text())
        if cached["manifest_sha256"] == digest:
            return Resources(**cached["resources"])
    result = synthesize_build(
        build_dir, family, workdir=build_dir.with_name(f"{build_dir.name}.{family.value}.synth")
    )
    body = {"manifest_sha256": digest, "resources": result.resources.to_json()}
    path.write_text(json.dumps(body) + "\n")
    return result.resources
