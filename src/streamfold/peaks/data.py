"""Synthetic 1-D intensity profiles like one column of a laser-line scanner, seeded.

Each profile is ``length`` samples from an 8-bit ADC (uint8 codes): one Gaussian laser line of
random sub-sample position, width and amplitude (bright lines saturate at code 255, so their
tops are flat), on a background (offset, slope and a broad ambient bump), with read noise plus
shot noise, and with probability ``second_probability`` a weaker second line (a reflection).
Positions are in samples: sample ``i`` is centred at ``i``.

The per-sample training target is a parabola of half-width ``TARGET_HALF_WIDTH`` around each
line, ``max(0, 1 - (d / w)**2)``: a 3-point parabolic fit on it returns the line's position
exactly, which is why the detector's sub-sample refinement is a parabolic fit on its scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from streamfold.errors import DataError

TARGET_HALF_WIDTH = 2.0  # samples (3.0 with plain MSE: 15-40 % larger errors, docs/peaks.md)
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ProfileConfig:
    """The generator's ranges (uniform draws unless said). Amplitudes are in full scale
    (1.0 = ADC code 255); an amplitude above 1 saturates."""

    length: int = 128
    margin: int = 6  # lines are centred at least this far from either end
    sigma: tuple[float, float] = (0.8, 3.0)  # Gaussian width, samples
    amplitude: tuple[float, float] = (0.2, 1.3)
    offset: tuple[float, float] = (0.0, 0.15)
    slope: float = 0.1  # background change across the profile, drawn in [-slope, slope]
    ambient: float = 0.1  # broad bump (sigma 15-40 samples), amplitude in [0, ambient]
    read_noise: tuple[float, float] = (0.005, 0.03)  # Gaussian, full scale
    shot_noise: float = 0.02  # Gaussian with standard deviation shot_noise * sqrt(signal)
    second_probability: float = 0.25
    second_ratio: tuple[float, float] = (0.3, 0.6)  # of the first line's amplitude
    second_min_amplitude: float = 0.12
    min_separation: float = 8.0  # samples between the two lines' centres, at least


@dataclass(frozen=True)
class Profiles:
    """``x``: uint8 ADC codes ``[n, length]``; ``positions``: ``[n, 2]`` line centres
    (column 1 NaN where there is no second line); ``targets``: float32 ``[n, length]``."""

    x: npt.NDArray[np.uint8]
    positions: F64
    targets: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.x)

    def peaks(self, i: int) -> F64:
        """The line centres of profile ``i``, ascending."""
        p = self.positions[i]
        return np.sort(p[~np.isnan(p)])

    def all_peaks(self) -> list[F64]:
        """``peaks(i)`` of every profile: the ground truth ``peaks.metrics.score`` takes."""
        return [self.peaks(i) for i in range(len(self))]

    def subset(self, rows: slice) -> Profiles:
        return Profiles(self.x[rows], self.positions[rows], self.targets[rows])


def generate(n: int, seed: int, config: ProfileConfig = ProfileConfig()) -> Profiles:
    """``n`` profiles; the same ``(n, seed, config)`` gives the same arrays on every machine
    (NumPy's PCG64 stream)."""
    if n < 1:
        raise DataError(f"peaks.generate: n must be >= 1, not {n}")
    need = 2 * config.margin + math.ceil(config.min_separation) + 2
    if config.length < need:
        raise DataError(
            f"peaks.generate: length must be >= {need} for margin {config.margin}, "
            f"not {config.length}"
        )
    rng = np.random.default_rng(seed)
    t = np.arange(config.length, dtype=np.float64)
    x = np.empty((n, config.length), dtype=np.uint8)
    positions = np.full((n, 2), np.nan)
    for i in range(n):
        lines = _draw_lines(rng, config)
        positions[i, : len(lines)] = [c for c, _, _ in lines]
        clean = _background(rng, config, t) + sum(
            (a * np.exp(-0.5 * ((t - c) / s) ** 2) for c, s, a in lines), np.zeros_like(t)
        )
        noise = rng.uniform(*config.read_noise) + config.shot_noise * np.sqrt(clean.clip(0))
        x[i] = np.round(np.clip(clean + noise * rng.standard_normal(t.shape), 0, 1) * 255)
    return Profiles(x, positions, targets(positions, config.length))


def targets(positions: F64, length: int) -> npt.NDArray[np.float32]:
    """The per-sample target of each row of ``positions`` (NaN entries ignored)."""
    t = np.arange(length, dtype=np.float64)
    d = t[None, None, :] - positions[:, :, None]  # [n, 2, length]
    parabola = np.clip(1.0 - (d / TARGET_HALF_WIDTH) ** 2, 0.0, None)
    return np.asarray(np.nan_to_num(parabola, nan=0.0).max(axis=1), dtype=np.float32)


def _draw_lines(rng: np.random.Generator, config: ProfileConfig) -> list[tuple[float, ...]]:
    lo, hi = config.margin, config.length - 1 - config.margin
    first = (rng.uniform(lo, hi), rng.uniform(*config.sigma), rng.uniform(*config.amplitude))
    if rng.uniform() >= config.second_probability:
        return [first]
    while True:  # rejection: a second centre far enough from the first
        centre = rng.uniform(lo, hi)
        if abs(centre - first[0]) >= config.min_separation:
            break
    amp = max(first[2] * rng.uniform(*config.second_ratio), config.second_min_amplitude)
    return [first, (centre, rng.uniform(*config.sigma), min(amp, 0.9))]


def _background(rng: np.random.Generator, config: ProfileConfig, t: F64) -> F64:
    offset = rng.uniform(*config.offset)
    slope = rng.uniform(-config.slope, config.slope) * (t / t[-1] - 0.5)
    centre, width = rng.uniform(0, t[-1]), rng.uniform(15, 40)
    bump = rng.uniform(0, config.ambient) * np.exp(-0.5 * ((t - centre) / width) ** 2)
    return np.asarray(offset + slope + bump, dtype=np.float64)
