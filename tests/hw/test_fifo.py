"""L3: sf_fifo RTL against its model (the identity) under backpressure; cycles vs cost; lint."""

import numpy as np
import pytest

from streamfold.errors import FoldingError
from streamfold.hw.block import StreamFormat
from streamfold.hw.fifo import cost
from streamfold.hw.fifo.rtl import SOURCE, fifo_instance
from streamfold.ir.dtypes import IntType
from streamfold.sim.rtl import lint, simulate_instance

i8, u3 = IntType(8, True), IntType(3, False)

CASES = [  # stream format, depth
    pytest.param(StreamFormat(u3, 2, 4), 2, id="depth-2"),
    pytest.param(StreamFormat(i8, 2, 6), 5, id="non-power-of-two-depth"),
    pytest.param(StreamFormat(i8, 16, 32), 4, id="wide-128-bit"),
]


def random_frames(rng, fmt, frames):
    return rng.integers(fmt.dtype.min, fmt.dtype.max + 1, size=(frames, fmt.vector))


@pytest.mark.rtl
@pytest.mark.parametrize("fmt, depth", CASES)
def test_fifo_rtl_matches_model_under_stalls(rng, rtl_cache, fmt, depth):
    x = random_frames(rng, fmt, 64)
    y, run = simulate_instance(fifo_instance(fmt, depth), x, seed=1, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, x)
    assert run.total_cycles > len(x) * fmt.words  # the stalls really happened


@pytest.mark.rtl
@pytest.mark.parametrize("fmt, depth", CASES)
def test_fifo_cycles_match_cost(rng, rtl_cache, fmt, depth):
    x = random_frames(rng, fmt, 8)
    inst = fifo_instance(fmt, depth)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, x)
    assert run.latency == cost.latency(inst)
    assert run.cycles_per_frame == cost.cycles(inst)


@pytest.mark.rtl
@pytest.mark.parametrize("fmt, depth", CASES)
def test_fifo_passes_lint(rtl_cache, fmt, depth):
    lint("sf_fifo", [SOURCE], parameters=fifo_instance(fmt, depth).parameters)


def test_fifo_depth_below_two_is_refused():
    with pytest.raises(FoldingError, match=r"^sf_fifo: depth must be >= 2, not 1$"):
        fifo_instance(StreamFormat(i8, 1, 4), 1)
