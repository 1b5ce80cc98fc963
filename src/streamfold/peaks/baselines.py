"""Classical peak detectors on the raw profiles, tuned on a validation split.

Detection is ``scipy.signal.find_peaks`` (prominence and distance) on the profile optionally
smoothed by a Gaussian; its parameters maximise F1 on the validation split. Each refinement
(none, centre of mass, 3-point parabola, 3-point Gaussian i.e. log-parabola) then moves every
detected index to a sub-sample position, from the profile smoothed by its own tuned width.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np
import numpy.typing as npt
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks

from streamfold.peaks.data import Profiles
from streamfold.peaks.metrics import F64, Scores, score
from streamfold.peaks.picking import Ints, centroid, gaussian, parabolic

SMOOTHING = (0.0, 1.0, 1.5, 2.0)  # Gaussian sigma, samples (0: none)
PROMINENCE: tuple[float, ...] = (6, 8, 12, 16, 24, 32, 48)  # ADC codes
DISTANCE = (4, 6, 8)  # samples
RADIUS = (2, 3, 4, 6)  # centre of mass half-window, samples


class Refinement(Enum):
    NONE = "find_peaks"
    CENTROID = "centre of mass"
    PARABOLA = "parabola (3-point)"
    GAUSSIAN = "Gaussian (3-point log)"


@dataclass(frozen=True)
class Detection:
    smooth: float
    prominence: float
    distance: int


@dataclass(frozen=True)
class Baseline:
    """A tuned detector: detection, then ``refinement`` on the profile smoothed by
    ``refine_smooth`` (centre of mass over ``radius`` samples either side)."""

    detection: Detection
    refinement: Refinement
    refine_smooth: float = 0.0
    radius: int = 3

    def __call__(self, x: npt.NDArray[np.uint8]) -> list[F64]:
        return run(self, x)


def smooth(x: npt.NDArray[np.integer], sigma: float) -> F64:
    data = np.asarray(x, dtype=np.float64)
    return data if sigma == 0 else np.asarray(gaussian_filter1d(data, sigma, axis=-1))


def detect(x: npt.NDArray[np.uint8], d: Detection) -> list[Ints]:
    s = smooth(x, d.smooth)
    return [
        find_peaks(row, prominence=d.prominence, distance=d.distance)[0].astype(np.int64)
        for row in s
    ]


def _refiner(b: Baseline) -> Callable[[F64, Ints], F64]:
    if b.refinement is Refinement.NONE:
        return lambda s, idx: idx.astype(np.float64)
    if b.refinement is Refinement.CENTROID:
        return lambda s, idx: centroid(s, idx, b.radius)
    return parabolic if b.refinement is Refinement.PARABOLA else gaussian


def run(b: Baseline, x: npt.NDArray[np.uint8]) -> list[F64]:
    """Detected sub-sample positions per profile."""
    found = detect(x, b.detection)
    s = smooth(x, b.refine_smooth)
    refine = _refiner(b)
    return [refine(row, idx) for row, idx in zip(s, found, strict=True)]


@dataclass(frozen=True)
class Grid:
    """The detection parameters tried: the defaults suit the laser-line profiles; ECG
    (``peaks.ecg``) needs taller prominences and a refractory distance (``ECG_GRID``)."""

    prominence: tuple[float, ...] = PROMINENCE
    distance: tuple[int, ...] = DISTANCE


# R waves are 50-135 codes tall at the default ADC range, T waves up to 0.6 of that; a
# refractory distance of 0.2 s is 25 samples at 125 Hz.
ECG_GRID = Grid((*PROMINENCE, 64, 80, 96), (*DISTANCE, 16, 25, 38))


def tune_detection(val: Profiles, grid: Grid = Grid()) -> Detection:
    """The grid point with the best F1 (ties: the first) on ``val``."""
    truth = val.all_peaks()
    best: tuple[float, Detection] | None = None
    for sm, pr, di in itertools.product(SMOOTHING, grid.prominence, grid.distance):
        d = Detection(sm, pr, di)
        f1 = score([i.astype(np.float64) for i in detect(val.x, d)], truth).f1
        if best is None or f1 > best[0]:
            best = (f1, d)
    assert best is not None
    return best[1]


def tune(val: Profiles, refinement: Refinement, detection: Detection) -> Baseline:
    """The refinement's smoothing (and radius) with the lowest mean error on ``val``."""
    truth = val.all_peaks()
    radii = RADIUS if refinement is Refinement.CENTROID else (3,)
    candidates = [
        Baseline(detection, refinement, sm, r) for sm, r in itertools.product(SMOOTHING, radii)
    ]
    scored: list[tuple[float, int, Baseline]] = [
        (score(b(val.x), truth).mean_error, n, b) for n, b in enumerate(candidates)
    ]
    return min(scored)[2]


def tuned_baselines(val: Profiles, grid: Grid = Grid()) -> list[Baseline]:
    detection = tune_detection(val, grid)
    return [tune(val, r, detection) for r in Refinement]


def evaluate(b: Baseline, test: Profiles) -> Scores:
    return score(b(test.x), test.all_peaks())
