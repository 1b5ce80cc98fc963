"""Peak picking on a 1-D signal or score, and sub-sample refinement of a picked sample.

``local_maxima`` is the detector's picker (a local maximum at or above a threshold, the
strongest kept within ``min_distance``); ``parabolic``, ``centroid`` and ``gaussian`` refine
an integer peak index to a sub-sample position, each from the samples around it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def local_maxima(s: npt.NDArray[np.floating], threshold: float, min_distance: int) -> Ints:
    """Indices ``i`` (ascending) with ``s[i-1] < s[i] >= s[i+1]`` and ``s[i] >= threshold``
    (a plateau gives its left end), each kept unless another such index ``j`` with
    ``0 < |i - j| < min_distance`` is stronger: ``s[j] > s[i]``, or equal and ``j < i``.
    The two end samples are never peaks.

    One pass, not greedy strongest-first: a peak suppressed by a stronger one still
    suppresses its weaker neighbours (in a chain 5, 6, 7 two samples apart, greedy keeps 7
    and 5; this rule keeps 7). It is what the hardware block computes in a stream with a
    bounded delay (``streamfold.hw.peakpick``); greedy needs the whole profile.
    """
    mid = s[1:-1]
    idx = np.flatnonzero((mid > s[:-2]) & (mid >= s[2:]) & (mid >= threshold)) + 1
    if len(idx) < 2 or min_distance <= 1:
        return idx.astype(np.int64)
    i, j = idx[:, None], idx[None, :]
    near = (np.abs(i - j) < min_distance) & (i != j)
    stronger = (s[j] > s[i]) | ((s[j] == s[i]) & (j < i))
    return np.asarray(idx[~(near & stronger).any(axis=1)], dtype=np.int64)


def parabolic(s: npt.NDArray[np.floating], idx: Ints) -> F64:
    """The vertex of the parabola through ``s[i-1], s[i], s[i+1]``, kept within half a
    sample of ``i`` (a flat top gives ``i``)."""
    i = np.clip(idx, 1, len(s) - 2)
    left, mid, right = (s[i - 1].astype(np.float64), s[i].astype(np.float64),
                        s[i + 1].astype(np.float64))  # fmt: skip
    curve = left - 2 * mid + right
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(curve < 0, 0.5 * (left - right) / curve, 0.0)
    return np.asarray(i + np.clip(delta, -0.5, 0.5), dtype=np.float64)


def gaussian(s: npt.NDArray[np.floating], idx: Ints, floor: float = 1.0) -> F64:
    """The parabolic vertex of ``log(max(s, floor))``: exact for a sampled Gaussian."""
    logs = np.log(np.maximum(np.asarray(s, dtype=np.float64), floor))
    return parabolic(logs, idx)


def centroid(s: npt.NDArray[np.floating], idx: Ints, radius: int) -> F64:
    """The centre of mass of ``s[i-radius : i+radius+1]`` less its minimum."""
    out = np.empty(len(idx), dtype=np.float64)
    for n, i in enumerate(idx):
        lo, hi = max(int(i) - radius, 0), min(int(i) + radius + 1, len(s))
        w = np.asarray(s[lo:hi], dtype=np.float64)
        w = w - w.min()
        total = w.sum()
        out[n] = (w * np.arange(lo, hi)).sum() / total if total > 0 else float(i)
    return out
