"""Parallel synthesis sweeps (``streamfold.synth.sweep``): order, errors, and (slow) a real
sweep of Yosys runs on a local Ray cluster equal to the same runs one after another."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from streamfold.cost.devices import Family
from streamfold.errors import ToolError
from streamfold.hw.block import StreamFormat
from streamfold.hw.fifo.rtl import fifo_instance
from streamfold.ir.dtypes import IntType
from streamfold.synth.sweep import ray_available, run_sweep
from streamfold.synth.yosys import synthesize_instance

REPO = Path(__file__).resolve().parents[2]


def _square(x: int) -> int:
    return x * x


def _fails_on_three(x: int) -> int:
    if x == 3:
        raise ToolError("yosys: exit code 1")
    return x


def test_serial_sweep_keeps_order_and_reports_progress() -> None:
    seen: list[tuple[int, int, int]] = []
    out = run_sweep(
        _square, [3, 1, 2], serial=True, progress=lambda d, t, j: seen.append((d, t, j))
    )
    assert out == [9, 1, 4]
    assert seen == [(1, 3, 3), (2, 3, 1), (3, 3, 2)]


def test_a_failing_job_is_named() -> None:
    with pytest.raises(ToolError, match=r"^sweep job 3: yosys: exit code 1$"):
        run_sweep(_fails_on_three, [1, 2, 3, 4], serial=True)


def test_workers_below_one_is_refused() -> None:
    with pytest.raises(ToolError, match=r"^sweep: workers must be >= 1, not 0$"):
        run_sweep(_square, [1, 2], workers=0)


def _pid_of(x: int) -> tuple[int, int]:
    return x, os.getpid()


def test_without_ray_the_jobs_run_in_local_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    import streamfold.synth.sweep as sweep

    monkeypatch.setattr(sweep, "ray_available", lambda: False)
    seen: list[int] = []
    out = run_sweep(_pid_of, list(range(6)), workers=2, progress=lambda d, t, j: seen.append(d))
    assert [x for x, _ in out] == list(range(6))
    assert os.getpid() not in {pid for _, pid in out}  # not in this process
    assert seen == [1, 2, 3, 4, 5, 6]
    with pytest.raises(ToolError, match=r"^sweep job 3: yosys: exit code 1$"):
        run_sweep(_fails_on_three, [1, 2, 3, 4], workers=2)


@pytest.mark.skipif(ray_available(), reason="only without the ray package")
def test_an_address_without_ray_is_a_clear_error() -> None:
    with pytest.raises(ToolError, match=r"needs the ray package"):
        run_sweep(_square, [1, 2], address="127.0.0.1:6379")


def _fifo_luts(job: tuple[int, int, str]) -> dict[str, int]:
    width, depth, workdir = job
    inst = fifo_instance(StreamFormat(IntType(width, False), 1, 64), depth)
    return synthesize_instance(inst, Family.XILINX7, Path(workdir)).resources.to_json()


@pytest.mark.slow
@pytest.mark.synth
def test_ray_sweep_of_yosys_runs_equals_the_serial_runs(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    shapes = [(8, 16), (12, 32), (32, 64), (4, 256)]
    work = REPO / "build" / "test_sweep"  # YoWASP maps /tmp privately: work in the repository
    jobs = [(w, d, str(work / f"ray_{w}_{d}")) for w, d in shapes]
    parallel = run_sweep(_fifo_luts, jobs, workers=2)
    serial = run_sweep(
        _fifo_luts, [(w, d, str(work / f"one_{w}_{d}")) for w, d in shapes], serial=True
    )
    assert parallel == serial
    assert len({tuple(sorted(r.items())) for r in parallel}) == len(shapes)  # real, distinct runs
