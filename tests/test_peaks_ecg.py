"""The synthetic ECG generator (peaks.ecg): seeded, its R-peak labels where the R waves are,
its promises on heart rate and margins kept, bad configurations refused; the tuned baselines
and the detector's training run on it unchanged."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from streamfold.errors import DataError
from streamfold.peaks import baselines
from streamfold.peaks.detector import TrainConfig, peak_net, pick, scores, train, tune_threshold
from streamfold.peaks.ecg import EcgConfig, generate, max_beats
from streamfold.peaks.metrics import score
from streamfold.peaks.picking import parabolic

CLEAN = replace(EcgConfig(), offset=0.0, wander=0.0, mains=0.0, noise=(0.0, 0.0))


def test_generator_is_deterministic_per_seed() -> None:
    a, b, c = generate(30, 7), generate(30, 7), generate(30, 8)
    assert np.array_equal(a.x, b.x)
    assert np.array_equal(a.positions, b.positions, equal_nan=True)
    assert not np.array_equal(a.x, c.x)
    assert a.x.shape == (30, 256) and a.x.dtype == np.uint8
    assert a.positions.shape == (30, max_beats(EcgConfig()))


def test_r_labels_are_at_the_r_waves() -> None:
    """Without noise or interference, each label is the R wave's crest: the parabola through
    the codes around the largest sample within 2 samples of it lands within 0.25 sample."""
    p = generate(40, 3, CLEAN)
    errors = []
    for row, peaks in zip(p.x, p.all_peaks(), strict=True):
        for r in peaks:
            lo = round(float(r)) - 2
            top = lo + int(np.argmax(row[lo : lo + 5]))
            errors.append(abs(parabolic(row.astype(float), np.array([top]))[0] - r))
    assert len(errors) > 60
    assert max(errors) < 0.25


def test_heart_rate_margins_and_counts_as_configured() -> None:
    cfg = replace(EcgConfig(), heart_rate=(60.0, 100.0), hrv=0.04, margin=6)
    p = generate(200, 5, cfg)
    shortest = 60 / 100 * (1 - 3 * 0.04) * cfg.rate
    longest = 60 / 60 * (1 + 3 * 0.04) * cfg.rate
    for peaks in p.all_peaks():
        assert len(peaks) >= 1
        assert peaks.min() >= cfg.margin and peaks.max() <= cfg.length - 1 - cfg.margin
        gaps = np.diff(peaks)
        assert np.all(gaps >= shortest - 1e-9) and np.all(gaps <= longest + 1e-9)
    # the targets are the parabolas the detector learns, 1 at each R peak's nearest sample
    nearest = np.round(p.positions[0][~np.isnan(p.positions[0])]).astype(int)
    assert np.all(p.targets[0][nearest] > 0.75)


def test_tall_r_waves_clip_at_the_adc_range() -> None:
    p = generate(20, 1, replace(CLEAN, r_amplitude=(2.5, 3.0)))
    assert (p.x == 255).any(axis=1).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"length": 100}, r"length must be >= \d+ samples"),
        ({"heart_rate": (90.0, 60.0)}, r"heart_rate must be an increasing positive range"),
        ({"hrv": 0.3}, r"hrv must be in \[0, 0.2\), not 0.3"),
        ({"adc_range": (1.0, 1.0)}, r"adc_range must increase"),
    ],
)
def test_bad_configurations_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(DataError, match=message):
        generate(4, 0, replace(EcgConfig(), **change))  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"n must be >= 1, not 0"):
        generate(0, 0)


def test_baselines_find_clean_r_peaks() -> None:
    """find_peaks tuned on the ECG grid finds every R peak of clean records and no T wave
    (T waves at most 0.3 of R here: with the default up to 0.6, one record's T wave can be
    taller than another's R wave and no single prominence separates them)."""
    clean = replace(CLEAN, t_ratio=(0.1, 0.3))
    val, test = generate(100, 2, clean), generate(100, 3, clean)
    for b in baselines.tuned_baselines(val, baselines.ECG_GRID):
        s = baselines.evaluate(b, test)
        assert s.f1 == 1.0, b
        assert s.mean_error < (0.3 if b.refinement is baselines.Refinement.NONE else 0.1)


def test_a_briefly_trained_detector_finds_r_peaks() -> None:
    """The detector's training and picking run on ECG records as on profiles: a W4A4 detector
    after 10 epochs on 1,000 records finds the R peaks of held-out noisy records (F1 > 0.98;
    docs/peaks.md has the full-size numbers)."""
    torch.set_num_threads(1)
    torch.manual_seed(0)  # the initial weights: independent of the tests run before
    train_set, val, test = generate(1000, 1), generate(100, 2), generate(200, 3)
    model = peak_net(4, channels=4)
    train(model, train_set, TrainConfig(epochs=10))
    threshold = tune_threshold(scores(model, val.x), val)
    assert score(pick(scores(model, test.x), threshold), test.all_peaks()).f1 > 0.98
