"""Peak picking: params, record type and foldings (L0), model vs the software picker (L2), RTL
vs model under stalls at 1-32 samples per word (L3), cycles and latency vs cost, lint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from streamfold.errors import FoldingError, IRError, SimulationError
from streamfold.hw.block import NodeFolding
from streamfold.hw.peakpick import cost
from streamfold.hw.peakpick.model import kept, peakpick
from streamfold.hw.peakpick.params import PeakPickParams, check_folding, foldings
from streamfold.hw.peakpick.rtl import SOURCE, instance
from streamfold.ir.dtypes import IntType
from streamfold.peaks.picking import local_maxima, parabolic
from streamfold.sim.rtl import lint, simulate_instance

u4, u8, i6 = IntType(4, False), IntType(8, False), IntType(6, True)


@dataclass(frozen=True)
class Case:
    length: int
    dtype: IntType
    threshold: int
    min_distance: int
    max_peaks: int
    p: int  # samples per word

    @property
    def params(self) -> PeakPickParams:
        return PeakPickParams(
            self.length, self.dtype, self.threshold, self.min_distance, self.max_peaks
        )

    @property
    def folding(self) -> NodeFolding:
        return NodeFolding(simd=self.p)


CASES = [
    pytest.param(Case(32, u8, 40, 4, 4, 1), id="one-sample-per-word"),
    pytest.param(Case(32, u8, 40, 4, 4, 2), id="p2"),
    pytest.param(Case(64, u8, 40, 4, 6, 4), id="p4-eq-distance"),
    pytest.param(Case(64, u4, 3, 3, 8, 8), id="p8-4-bit-many-peaks"),
    pytest.param(Case(128, u8, 100, 4, 4, 16), id="p16-detector-shape"),
    pytest.param(Case(48, i6, -5, 7, 3, 4), id="signed-distance-beyond-a-word"),
    pytest.param(Case(24, u4, 0, 1, 12, 2), id="no-suppression-every-peak"),
    pytest.param(Case(128, u8, 3, 4, 4, 32), id="p32-detector-shape-frame-shorter-than-pipeline"),
    # the alternating frame keeps 8 per word (more than the 6 records), the random ones a few
    pytest.param(Case(96, u4, 1, 2, 6, 16), id="p16-more-kept-in-a-word-than-records"),
    # alternating: 4 kept per word, the second word fills the partly full list (4 + 3 of 4)
    pytest.param(Case(64, u4, 1, 2, 7, 8), id="p8-words-append-to-a-partly-full-list"),
    pytest.param(Case(24, u8, 40, 3, 3, 8), id="p8-three-words-per-frame"),
]
FRAMES = 6


def frames(rng: np.random.Generator, case: Case, n: int) -> np.ndarray:
    """Smooth random bumps plus noise, with plateaus and ties (coarse steps), one frame all
    equal and one alternating (the most candidates)."""
    t = np.arange(case.length)
    x = np.zeros((n, case.length))
    for f in range(n):
        for _ in range(int(rng.integers(1, 5))):
            c, w = rng.uniform(0, case.length), rng.uniform(0.7, 4)
            x[f] += rng.uniform(0.3, 1) * np.exp(-0.5 * ((t - c) / w) ** 2)
        x[f] += rng.uniform(0, 0.15, case.length)
    lo, hi = case.dtype.min, case.dtype.max
    codes = np.clip(np.round(lo + x / x.max() * (hi - lo)), lo, hi).astype(np.int64)
    codes[0] = hi
    codes[1] = np.where(t % 2 == 1, hi, lo)
    return codes


def reference(case: Case, x: np.ndarray) -> np.ndarray:
    """The software picker (peaks.picking) on float scores, the refinement as a fraction."""
    out = np.zeros((len(x), case.max_peaks, 4), dtype=np.int64)
    for f, row in enumerate(x):
        idx = local_maxima(row.astype(np.float64), case.threshold, case.min_distance)
        idx = idx[: case.max_peaks]
        left, mid, right = row[idx - 1], row[idx], row[idx + 1]
        out[f, : len(idx)] = np.stack([idx, mid, right - left, 2 * (2 * mid - left - right)], 1)
    return out.reshape(len(x), -1)


# ------------------------------------------------------------------------ L0: params, folding
def test_record_type_holds_positions_scores_and_refinement() -> None:
    assert PeakPickParams(128, u8, 10, 4, 4).out_dtype == IntType(11, True)  # den <= 1020
    assert PeakPickParams(4096, u4, 1, 4, 2).out_dtype == IntType(13, True)  # position 4095
    assert PeakPickParams(16, i6, 0, 2, 2).out_dtype == IntType(9, True)  # den <= 252


@pytest.mark.parametrize(
    "args, message",
    [
        ((2, u8, 0, 4, 4), r"^PeakPickParams: length must be >= 3, not 2$"),
        ((16, u8, 0, 0, 4), r"^PeakPickParams: min_distance must be >= 1, not 0$"),
        ((16, u8, 0, 4, 0), r"^PeakPickParams: max_peaks must be >= 1, not 0$"),
    ],
)
def test_params_refuse_bad_values(args: tuple[int, IntType, int, int, int], message: str) -> None:
    with pytest.raises(IRError, match=message):
        PeakPickParams(*args)


def test_foldings_and_illegal_ones() -> None:
    p = PeakPickParams(12, u8, 0, 4, 4)
    assert [f.simd for f in foldings(p)] == [1, 2, 3, 4, 6, 12]
    with pytest.raises(FoldingError, match=r"^pick: simd=5 must divide length=12$"):
        check_folding("pick", p, NodeFolding(simd=5))
    with pytest.raises(FoldingError, match=r"^pick: pe must be 1 \(samples per word are simd\)"):
        instance(p, NodeFolding(pe=2), "pick")


def test_registered_for_the_peakpick_op() -> None:
    from streamfold.hw.peakpick.block import PEAKPICK
    from streamfold.hw.registry import BLOCKS
    from streamfold.ir.ops import PeakPick

    assert BLOCKS[PeakPick] is PEAKPICK


def test_cycles_latency_formulas() -> None:
    p = PeakPickParams(128, u8, 0, 4, 4)
    # P >= 32: 5 and 3 steps, but two frames' last steps are at least 7 cycles apart
    cycles = [cost.cycles(p, NodeFolding(simd=s)) for s in (1, 2, 4, 8, 16, 32, 64)]
    assert cycles == [132, 66, 33, 17, 9, 7, 7]
    assert cost.latency(p, NodeFolding(simd=16)) == 9 + cost.STAGES
    assert cost.latency(p, NodeFolding(simd=32)) == 5 + cost.STAGES


def test_instance_parameters_and_streams() -> None:
    inst = instance(PeakPickParams(64, u8, 300, 4, 6), NodeFolding(simd=8), "pick")
    assert inst.module == "sf_peakpick" and inst.sources == (SOURCE,)
    assert dict(inst.parameters) == {
        "BITS": 8,
        "SIGNED": 0,
        "L": 64,
        "P": 8,
        "D": 4,
        "THRESH": 256,
        "MAXP": 6,
        "OB": 11,
    }  # fmt: skip  (a threshold above every score is clamped to max + 1)
    assert (inst.stream_in.elems, inst.stream_in.words) == (8, 8)
    assert (inst.stream_out.elems, inst.stream_out.words, inst.stream_out.width) == (24, 1, 264)


# ------------------------------------------------------------------ L2: model vs the software
@pytest.mark.parametrize("case", CASES)
def test_model_matches_the_software_picker(rng: np.random.Generator, case: Case) -> None:
    x = frames(rng, case, 40)
    y = peakpick(case.params, x)
    np.testing.assert_array_equal(y, reference(case, x))
    assert case.params.out_dtype.contains(int(y.min()), int(y.max()))


def test_refinement_is_the_software_parabola_bit_for_bit(rng: np.random.Generator) -> None:
    case = Case(128, u8, 20, 4, 64, 1)
    x = frames(rng, case, 50)
    rec = peakpick(case.params, x).reshape(50, -1, 4)
    for f, row in enumerate(x):
        idx = local_maxima(row.astype(np.float64), case.threshold, case.min_distance)
        r = rec[f, : len(idx)]
        assert (r[:, 3] > 0).all() and (np.abs(2 * r[:, 2]) <= r[:, 3]).all()
        np.testing.assert_array_equal(r[:, 0] + r[:, 2] / r[:, 3], parabolic(row * 1.0, idx))


@pytest.mark.parametrize("case", CASES)
def test_kept_peaks_are_at_least_the_distance_and_two_apart(
    rng: np.random.Generator, case: Case
) -> None:
    """What sf_peakpick's groups rely on: at most one kept peak per max(distance, 2) lanes."""
    x = frames(rng, case, 40)
    for row in kept(x, case.threshold, case.min_distance):
        assert (np.diff(np.flatnonzero(row)) >= max(case.min_distance, 2)).all()


def test_model_small_example() -> None:
    # candidates 1 (5), 4 (3, a plateau's left end), 7 (9), 9 (9): 7 beats 9 on the tie
    x = np.array([[0, 5, 1, 0, 3, 3, 0, 9, 8, 9, 0, 2]])
    y = peakpick(PeakPickParams(12, u8, 2, 3, 4), x).reshape(4, 4)
    assert y.tolist() == [[1, 5, 1, 18], [4, 3, 3, 6], [7, 9, 8, 20], [0, 0, 0, 0]]


def test_chain_differs_from_greedy_as_documented() -> None:
    x = np.array([0, 5, 0, 6, 0, 7, 0], dtype=np.float64)
    np.testing.assert_array_equal(local_maxima(x, 1, 3), [5])  # greedy would keep 1 and 5


def test_model_refuses_wrong_input_shape() -> None:
    with pytest.raises(SimulationError, match=r"^PeakPick: input must be \(frames, 12\)"):
        peakpick(PeakPickParams(12, u8, 2, 3, 4), np.zeros((2, 7), dtype=np.int64))


# ------------------------------------------------------------------------- L3: RTL vs model
@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model_under_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    x = frames(rng, case, FRAMES)
    inst = instance(case.params, case.folding, "pick")
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=1, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, peakpick(case.params, x))
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, peakpick(case.params, x))
    assert run.cycles_per_frame == pytest.approx(cost.cycles(case.params, case.folding), rel=0.02)
    assert run.latency == cost.latency(case.params, case.folding)


@pytest.mark.slow
@pytest.mark.synth
@pytest.mark.parametrize("p", [16, 32])
def test_lut_model_within_10_percent_of_yosys_at_16_and_32_samples_per_word(
    tmp_path: Path, p: int
) -> None:
    """The held-out points of the LUT fit (cost.py: fitted at P = 1, 2, 4, 8)."""
    from streamfold.cost.devices import Family
    from streamfold.synth.yosys import synthesize_instance

    case = Case(128, u8, 100, 4, 4, p)
    inst = instance(case.params, case.folding, "pick")
    got = synthesize_instance(inst, Family.XILINX7, tmp_path).resources
    predicted = cost.resources(case.params, case.folding, Family.XILINX7)
    assert abs(predicted.lut - got.lut) <= 0.10 * got.lut


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES[:1] + CASES[4:8])
def test_rtl_passes_lint(rtl_cache: Path, case: Case) -> None:
    inst = instance(case.params, case.folding, "pick")
    lint("sf_peakpick", list(inst.sources), parameters=inst.parameters)
