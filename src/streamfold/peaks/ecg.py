"""Synthetic electrocardiograms with known R-peak positions, seeded: the case study's second
data set (one lead, 8-bit ADC codes, R peaks as the labels).

The beat follows ECGSYN's morphology (McSharry et al., "A dynamical model for generating
synthetic electrocardiogram signals", IEEE Trans. Biomed. Eng. 50(3), 2003): a sum of five
Gaussians, the P, Q, R, S and T waves, at fixed places in the beat. Here they are placed in
time around each beat's R instant, which is the label (the R wave's centre), with the T wave's
delay and width stretched by ``sqrt(RR)`` (Bazett's QT scaling). RR intervals vary around a
drawn heart rate (Gaussian heart-rate variability); baseline wander (respiration), mains
interference at ``mains_hz`` and broadband (EMG-like) noise are added; an 8-bit ADC digitises
the lead over ``adc_range`` millivolts, so tall R waves clip. Every beat near the record is
drawn, so a neighbour's T wave can enter at the left end; no R peak lies within ``margin``
samples of either end (a draw that puts one there is redrawn), so every label can be found.

Why not ``neurokit2.ecg_simulate``: it returns the signal without its R-peak times (labels
would have to come from one of its own detectors), see docs/peaks.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from streamfold.errors import DataError
from streamfold.peaks.data import F64, Profiles, targets

# (offset from R in seconds, width in seconds, amplitude relative to R) of P, Q, R, S, T at
# RR = 1 s; T's offset and width scale with sqrt(RR). Typical lead II timing: PR ~ 0.16 s,
# QRS ~ 0.08 s, QT ~ 0.4 s.
WAVES = (
    ("P", -0.17, 0.022, 0.12),
    ("Q", -0.035, 0.010, -0.12),
    ("R", 0.0, 0.011, 1.0),
    ("S", 0.035, 0.011, -0.25),
    ("T", 0.26, 0.045, 0.3),
)


@dataclass(frozen=True)
class EcgConfig:
    """The generator's ranges (uniform draws unless said); voltages in millivolts."""

    length: int = 256  # samples per record
    rate: float = 125.0  # samples per second
    margin: int = 4  # no R peak within this many samples of either end
    heart_rate: tuple[float, float] = (50.0, 110.0)  # beats per minute, per record
    hrv: float = 0.05  # RR standard deviation / mean RR (clipped to +-3 sigma)
    r_amplitude: tuple[float, float] = (0.6, 1.6)  # per record; each beat +-10 %
    t_ratio: tuple[float, float] = (0.1, 0.6)  # T amplitude / R amplitude, per record
    p_ratio: tuple[float, float] = (0.05, 0.2)  # P amplitude / R amplitude, per record
    r_width: tuple[float, float] = (0.008, 0.014)  # R wave's Gaussian sigma, seconds
    offset: float = 0.2  # DC offset drawn in [-offset, offset]
    wander: float = 0.3  # baseline wander amplitude in [0, wander], 0.15-0.5 Hz
    mains: float = 0.05  # mains amplitude in [0, mains]
    mains_hz: float = 50.0
    noise: tuple[float, float] = (0.01, 0.06)  # Gaussian noise sigma
    adc_range: tuple[float, float] = (-1.0, 2.0)  # millivolts at code 0 and code 255


def max_beats(config: EcgConfig) -> int:
    """The most R peaks a record can hold (at the fastest heart rate, shortest RR)."""
    shortest = 60.0 / config.heart_rate[1] * (1 - 3 * config.hrv) * config.rate
    return int(config.length / shortest) + 1


def generate(n: int, seed: int, config: EcgConfig = EcgConfig()) -> Profiles:
    """``n`` records; the same ``(n, seed, config)`` gives the same arrays on every machine
    (NumPy's PCG64 stream). ``positions`` holds each record's R peaks in samples (sample
    ``i`` at time ``i / rate``), NaN-padded to ``max_beats(config)`` columns."""
    _check(n, config)
    rng = np.random.default_rng(seed)
    t = np.arange(config.length, dtype=np.float64) / config.rate
    x = np.empty((n, config.length), dtype=np.uint8)
    positions = np.full((n, max_beats(config)), np.nan)
    lo, hi = config.adc_range
    for i in range(n):
        beats = _beats(rng, config)
        inside = beats[(beats >= 0) & (beats <= t[-1])] * config.rate
        positions[i, : len(inside)] = inside
        clean = _heart(rng, config, beats, t) + _interference(rng, config, t)
        v = clean + rng.uniform(*config.noise) * rng.standard_normal(t.shape)
        x[i] = np.round(np.clip((v - lo) / (hi - lo), 0, 1) * 255)
    return Profiles(x, positions, targets(positions, config.length))


def _check(n: int, config: EcgConfig) -> None:
    if n < 1:
        raise DataError(f"peaks.ecg.generate: n must be >= 1, not {n}")
    if not 0 < config.heart_rate[0] <= config.heart_rate[1]:
        raise DataError(
            f"peaks.ecg.generate: heart_rate must be an increasing positive range, "
            f"not {config.heart_rate}"
        )
    if not 0 <= config.hrv < 0.2:
        raise DataError(f"peaks.ecg.generate: hrv must be in [0, 0.2), not {config.hrv}")
    longest = 60.0 / config.heart_rate[0] * (1 + 3 * config.hrv) * config.rate
    need = 2 * config.margin + math.ceil(longest) + 2
    if config.length < need:
        raise DataError(
            f"peaks.ecg.generate: length must be >= {need} samples (margin {config.margin} "
            f"and one RR at {config.heart_rate[0]} beats/min), not {config.length}"
        )
    if config.adc_range[0] >= config.adc_range[1]:
        raise DataError(f"peaks.ecg.generate: adc_range must increase, not {config.adc_range}")


def _beats(rng: np.random.Generator, config: EcgConfig) -> F64:
    """R instants (seconds) from one RR before the record to one after it; redrawn until no
    R lies within ``margin`` samples of either end."""
    rr = 60.0 / rng.uniform(*config.heart_rate)
    end = (config.length - 1) / config.rate
    edge = config.margin / config.rate
    while True:
        times = [-rng.uniform(0, rr)]
        while times[-1] < end + rr:
            times.append(times[-1] + rr * (1 + config.hrv * np.clip(rng.normal(), -3, 3)))
        beats = np.asarray(times)
        near = ((beats > -edge) & (beats < edge)) | ((beats > end - edge) & (beats < end + edge))
        if not near.any():
            return beats


def _heart(rng: np.random.Generator, config: EcgConfig, beats: F64, t: F64) -> F64:
    r_amp = rng.uniform(*config.r_amplitude)
    r_width = rng.uniform(*config.r_width)
    ratio = {"P": rng.uniform(*config.p_ratio), "T": rng.uniform(*config.t_ratio)}
    signal = np.zeros_like(t)
    for k, r in enumerate(beats):
        rr = beats[k + 1] - r if k + 1 < len(beats) else r - beats[k - 1]
        stretch = math.sqrt(rr)
        gain = r_amp * rng.uniform(0.9, 1.1)
        for name, offset, width, amp in WAVES:
            if name == "T":
                offset, width = offset * stretch, width * stretch
            elif name == "R":
                width = r_width
            a = gain * ratio.get(name, amp)
            signal += a * np.exp(-0.5 * ((t - r - offset) / width) ** 2)
    return signal


def _interference(rng: np.random.Generator, config: EcgConfig, t: F64) -> F64:
    offset = rng.uniform(-config.offset, config.offset)
    wander = rng.uniform(0, config.wander) * np.sin(
        2 * np.pi * rng.uniform(0.15, 0.5) * t + rng.uniform(0, 2 * np.pi)
    )
    mains = rng.uniform(0, config.mains) * np.sin(
        2 * np.pi * config.mains_hz * t + rng.uniform(0, 2 * np.pi)
    )
    return np.asarray(offset + wander + mains, dtype=np.float64)
