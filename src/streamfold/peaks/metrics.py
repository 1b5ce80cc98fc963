"""Scoring detected peak positions against the true ones.

Each profile's detections are matched one to one to its true peaks, nearest first, within
``tolerance`` samples; a match is a true positive, an unmatched detection a false positive, an
unmatched true peak a false negative. Localisation error is ``|detected - true|`` over the
matches; an outlier is a match with error above ``outlier`` samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from streamfold.errors import DataError

TOLERANCE = 2.0  # samples: a detection further than this from every true peak is false
OUTLIER = 0.5  # samples: a matched detection further than this is an outlier
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Scores:
    true_positives: int
    false_positives: int
    false_negatives: int
    errors: F64  # localisation error of each match, samples
    outlier: float

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        truth = self.true_positives + self.false_negatives
        return self.true_positives / truth if truth else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def mean_error(self) -> float:
        return float(self.errors.mean()) if len(self.errors) else float("nan")

    @property
    def p99_error(self) -> float:
        return float(np.percentile(self.errors, 99)) if len(self.errors) else float("nan")

    @property
    def outliers(self) -> int:
        return int((self.errors > self.outlier).sum())


def match(found: F64, truth: F64, tolerance: float = TOLERANCE) -> list[tuple[int, int]]:
    """Pairs ``(i_found, i_truth)``, one to one, nearest first, each within ``tolerance``."""
    if len(found) == 0 or len(truth) == 0:
        return []
    dist = np.abs(np.asarray(found)[:, None] - np.asarray(truth)[None, :])
    pairs: list[tuple[int, int]] = []
    used_f: set[int] = set()
    used_t: set[int] = set()
    for flat in np.argsort(dist, axis=None, kind="stable"):
        i, j = divmod(int(flat), dist.shape[1])
        if dist[i, j] > tolerance:
            break
        if i not in used_f and j not in used_t:
            pairs.append((i, j))
            used_f.add(i)
            used_t.add(j)
    return pairs


def score(
    found: Sequence[F64],
    truth: Sequence[F64],
    tolerance: float = TOLERANCE,
    outlier: float = OUTLIER,
) -> Scores:
    """Scores of per-profile detections ``found`` against per-profile true peaks ``truth``."""
    if len(found) != len(truth):
        raise DataError(
            f"peaks.score: found must hold one array per profile ({len(truth)}), not {len(found)}"
        )
    tp = fp = fn = 0
    errors: list[float] = []
    for f, t in zip(found, truth, strict=True):
        pairs = match(f, t, tolerance)
        tp += len(pairs)
        fp += len(f) - len(pairs)
        fn += len(t) - len(pairs)
        errors += [abs(float(f[i]) - float(t[j])) for i, j in pairs]
    return Scores(tp, fp, fn, np.asarray(errors, dtype=np.float64), outlier)
