"""Helpers shared by the streaming-block RTL tests: random frames and the seeded random sweep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from streamfold.errors import SimulationError
from streamfold.ir.dtypes import IntType


def random_frames(rng: np.random.Generator, dtype: IntType, frames: int, n: int) -> np.ndarray:
    """Random frames, the first two at the type's extremes (all min, all max)."""
    if dtype.bipolar:
        x = rng.choice(np.array([-1, 1]), size=(frames, n))
    else:
        x = rng.integers(dtype.min, dtype.max + 1, size=(frames, n))
    if frames >= 2:
        x[0], x[1] = dtype.min, dtype.max
    return x


def run_sweep(
    name: str,
    configs: int,
    per_build: int,
    random_case: Callable[[np.random.Generator], Any],
    build: Callable[[Any], Any],
    check: Callable[[Any, Any, np.ndarray, tuple[float, float], int, bool], str],
) -> None:
    """``configs`` seeded random configurations, ``per_build`` sharing each RTL build (new data,
    stalls and seeds; timing checked once per build); fails listing every failed one."""
    rng = np.random.default_rng(2026)
    failures: list[str] = []
    start, done, builds = time.monotonic(), 0, 0
    while done < configs:
        case = random_case(rng)
        inst, builds = build(case), builds + 1
        for variant in range(min(per_build, configs - done)):
            x = random_frames(rng, case.dtype, 4, case.params.in_vector)
            stalls = (float(rng.uniform(0.0, 0.6)), float(rng.uniform(0.0, 0.6)))
            seed = int(rng.integers(1 << 30))
            try:
                why = check(case, inst, x, stalls, seed, variant == 0)
            except SimulationError as e:
                why = str(e)
            if why:
                failures.append(f"{case} stalls={stalls} seed={seed}: {why}")
            done += 1
    print(
        f"\n{name} RTL sweep: {done} random configurations on {builds} builds, "
        f"{done - len(failures)} passed, {len(failures)} failed, {time.monotonic() - start:.0f} s"
    )
    assert not failures, "\n".join(failures)
