"""Bit-exact NumPy model of peak picking: (frames, length) -> (frames, 4 * max_peaks)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.hw.block import model_input
from streamfold.hw.peakpick.params import FIELDS, PeakPickParams

Array = npt.NDArray[Any]


def kept(s: Array, threshold: int, min_distance: int) -> Array:
    """Boolean (frames, length): the kept peaks of each row of integer scores ``s``
    (the rule of ``hw.peakpick.params``), by shifted comparisons over whole rows."""
    s = s.astype(np.int64)
    n, length = s.shape
    cand = np.zeros((n, length), dtype=bool)
    mid = s[:, 1:-1]
    cand[:, 1:-1] = (s[:, :-2] < mid) & (mid >= s[:, 2:]) & (mid >= threshold)
    keep = cand.copy()
    for d in range(1, min(min_distance, length)):
        # j = i - d beats i on ties (further left); j = i + d only when strictly stronger
        left = cand[:, :-d] & (s[:, :-d] >= s[:, d:])
        right = cand[:, d:] & (s[:, d:] > s[:, :-d])
        keep[:, d:] &= ~left
        keep[:, :-d] &= ~right
    return keep


def peakpick(params: PeakPickParams, x: Array) -> Array:
    """Per frame, the first ``max_peaks`` kept peaks as (position, score, num, den) records,
    the rest zero (int64)."""
    s = model_input("PeakPick", x, params.length)
    return records(s, params.threshold, params.min_distance, params.max_peaks)


def records(s: Array, threshold: int, min_distance: int, max_peaks: int) -> Array:
    """``peakpick`` on (frames, length) integer scores ``s``."""
    s = s.astype(np.int64)
    out = np.zeros((s.shape[0], max_peaks, FIELDS), dtype=np.int64)
    for f, row in enumerate(kept(s, threshold, min_distance)):
        idx = np.flatnonzero(row)[:max_peaks]
        left, mid, right = s[f, idx - 1], s[f, idx], s[f, idx + 1]
        out[f, : len(idx)] = np.stack([idx, mid, right - left, 2 * (2 * mid - left - right)], 1)
    return out.reshape(s.shape[0], -1)
