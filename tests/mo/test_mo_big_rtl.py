"""An ImageNet-class network that no dataflow pipeline on xc7z020 holds (``mo_nets.vgg224``,
5.2 M weights; bench/mo_plan.py) on the MO engine's RTL, SIMD 32 x PE 16: bit-exact against
the exact reference, every layer's cycles within 5 % of ``mo.cost`` at two bandwidths."""

from __future__ import annotations

import numpy as np
import pytest
from mo_nets import vgg224

from streamfold.mo.compiler import compile_graph
from streamfold.mo.cost import Memory, program_cost
from streamfold.mo.engine import EngineConfig
from streamfold.mo.model import run_program
from streamfold.mo.rtl import run_engine
from streamfold.sim.exact import run_single
from streamfold.simulate import random_inputs

pytestmark = [pytest.mark.rtl, pytest.mark.slow]


def test_vgg224_on_the_engine_is_exact_at_the_predicted_cycles() -> None:
    graph = vgg224()
    program = compile_graph(graph, EngineConfig(simd=32, pe=16, max_map=224))
    x = random_inputs(graph, 1, seed=0)
    expected = run_single(graph, x)
    np.testing.assert_array_equal(run_program(program, x), expected)
    for memory in (Memory(8, 20), Memory(2, 40)):
        run = run_engine(program, x[0], memory.bytes_per_cycle, memory.latency_cycles)
        np.testing.assert_array_equal(run.outputs, expected[0])
        predicted = [c.cycles for c in program_cost(program, memory)]
        assert run.layer_cycles == pytest.approx(predicted, rel=0.05)
