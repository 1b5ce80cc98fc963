"""L3: sf_dwc RTL against its model (the identity on frames) under backpressure; cycles vs
cost; lint."""

import numpy as np
import pytest

from streamfold.errors import FoldingError
from streamfold.hw.block import StreamFormat
from streamfold.hw.dwc import cost
from streamfold.hw.dwc.rtl import SOURCE, dwc_instance
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.sim.rtl import lint, simulate_instance

i4, i5, u3, u8 = IntType(4, True), IntType(5, True), IntType(3, False), IntType(8, False)

CASES = [  # input stream format, out_elems
    pytest.param(StreamFormat(i4, 2, 16), 8, id="up-convert-2-to-8"),
    pytest.param(StreamFormat(u8, 16, 32), 4, id="down-convert-128-bit-16-to-4"),
    pytest.param(StreamFormat(i5, 3, 12), 2, id="non-divisible-3-to-2"),
    pytest.param(StreamFormat(u3, 2, 12), 3, id="non-divisible-2-to-3"),
    pytest.param(StreamFormat(BIPOLAR, 1, 12), 6, id="bipolar-1-bit-words-1-to-6"),
    pytest.param(StreamFormat(u3, 1, 12), 2, id="up-convert-1-to-2"),
    pytest.param(StreamFormat(i4, 4, 24), 12, id="up-convert-4-to-12"),
    pytest.param(StreamFormat(u8, 2, 16), 1, id="down-convert-2-to-1"),
    pytest.param(StreamFormat(BIPOLAR, 16, 48), 1, id="down-convert-bipolar-16-to-1"),
    pytest.param(StreamFormat(i5, 6, 24), 4, id="non-divisible-6-to-4"),
]


def random_frames(rng, fmt, frames):
    if fmt.dtype.bipolar:
        return rng.choice([-1, 1], size=(frames, fmt.vector))
    return rng.integers(fmt.dtype.min, fmt.dtype.max + 1, size=(frames, fmt.vector))


@pytest.mark.rtl
@pytest.mark.parametrize("fmt, out_elems", CASES)
def test_dwc_rtl_matches_model_under_stalls(rng, rtl_cache, fmt, out_elems):
    x = random_frames(rng, fmt, 40)
    y, _ = simulate_instance(dwc_instance(fmt, out_elems), x, seed=2, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, x)


@pytest.mark.rtl
@pytest.mark.parametrize("fmt, out_elems", CASES)
def test_dwc_cycles_match_cost(rng, rtl_cache, fmt, out_elems):
    inst = dwc_instance(fmt, out_elems)
    x = random_frames(rng, fmt, 10)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, x)
    assert run.latency == cost.latency(inst)
    assert run.cycles_per_frame == cost.cycles(inst)


@pytest.mark.rtl
@pytest.mark.parametrize("fmt, out_elems", CASES)
def test_dwc_passes_lint(rtl_cache, fmt, out_elems):
    lint("sf_dwc", [SOURCE], parameters=dwc_instance(fmt, out_elems).parameters)


def test_dwc_output_word_must_divide_the_vector():
    with pytest.raises(
        FoldingError, match=r"^sf_dwc: out_elems must divide the vector length 12, not 5$"
    ):
        dwc_instance(StreamFormat(u3, 2, 12), 5)
