"""The MO engine's RTL (Verilator, with a memory model of given bandwidth and latency) runs
compiled images bit-exact against ``sim.exact`` under random stalls of every memory channel,
and each layer's cycles (no stalls) are within 5 % of ``mo.cost`` at two bandwidths. The
harness controls it as a host does, over AXI-Lite (image base, start, STATUS polled)."""

from __future__ import annotations

import numpy as np
import pytest
from test_mo_model import NETS, SMALL, kernels

from streamfold.errors import SimulationError
from streamfold.ir.graph import Graph
from streamfold.mo.compiler import compile_graph
from streamfold.mo.cost import Memory, program_cost
from streamfold.mo.engine import EngineConfig
from streamfold.mo.rtl import EngineRun, run_engine
from streamfold.sim.exact import run_single
from streamfold.simulate import random_inputs
from streamfold.transforms.lower_requantize import Lowering

pytestmark = pytest.mark.rtl
BANDWIDTHS = (Memory(bytes_per_cycle=8, latency_cycles=0), Memory(2, latency_cycles=20))


def check_engine(graph: Graph, engine: EngineConfig, frames: int = 2, stall: float = 0.3) -> None:
    program = compile_graph(graph, engine)
    x = random_inputs(graph, frames, seed=2)
    expected = run_single(graph, x)
    for i in range(frames):
        run = run_engine(program, x[i], 4, 7, stall=stall, seed=i)
        np.testing.assert_array_equal(run.outputs, expected[i])
    for memory in BANDWIDTHS:
        run = run_engine(program, x[0], memory.bytes_per_cycle, memory.latency_cycles)
        np.testing.assert_array_equal(run.outputs, expected[0])
        predicted = [c.cycles for c in program_cost(program, memory)]
        assert run.layer_cycles == pytest.approx(predicted, rel=0.05), (memory, predicted)
        assert run.cycles == pytest.approx(sum(predicted), rel=0.02)
        assert_registers(run, len(program.layers))


def assert_registers(run: EngineRun, layers: int) -> None:
    """What the host read over AXI-Lite after the poll saw STATUS.done: one run, every layer,
    RUN_CYCLES = the cycles while busy (from the cycle after start to done)."""
    assert (run.runs, run.layers) == (1, layers)
    assert run.run_cycles == run.cycles - 1
    assert 0 < run.polled - run.cycles <= 4  # done reaches STATUS a cycle later; a read is 2


def test_small_cnn_runs_bit_exact_at_the_predicted_cycles() -> None:
    check_engine(kernels("conv2d"), SMALL)


@pytest.mark.slow
@pytest.mark.parametrize("net", sorted(NETS))
@pytest.mark.parametrize("lowering", [Lowering.THRESHOLDS, Lowering.MULSHIFT])
def test_every_test_net_runs_bit_exact_at_the_predicted_cycles(
    net: str, lowering: Lowering
) -> None:
    check_engine(kernels(net, lowering), SMALL)
    check_engine(kernels(net, lowering), EngineConfig(simd=2, pe=8, max_kernel=5), frames=1)


def test_the_image_base_comes_from_the_register() -> None:
    """The same image at another SRC_ADDR: same outputs and cycles (the harness fails on any
    access outside the image, so an address not offset by the base would show)."""
    graph = kernels("conv2d")
    program = compile_graph(graph, SMALL)
    x = random_inputs(graph, 1, seed=3)
    runs = [run_engine(program, x[0], 8, 5, base=base) for base in (0, 0x7654_3000)]
    np.testing.assert_array_equal(runs[0].outputs, run_single(graph, x)[0])
    np.testing.assert_array_equal(runs[1].outputs, runs[0].outputs)
    assert runs[1].layer_ends == runs[0].layer_ends
    assert_registers(runs[1], len(program.layers))
    with pytest.raises(SimulationError, match=r"image base must be 4 KiB aligned .* not 0x1008"):
        run_engine(program, x[0], 8, 5, base=0x1008)


@pytest.mark.parametrize("engine", [SMALL, EngineConfig(simd=2, pe=8, max_kernel=5)])
def test_rtl_passes_lint(engine: EngineConfig) -> None:
    """verilator --lint-only -Wall on sf_mo_top with a program's parameters (multiply-shift
    and thresholds, SIMD > PE and PE > SIMD)."""
    from streamfold.mo.rtl import ENGINE, RAM, REGS, TOP, rtl_parameters
    from streamfold.sim.verilate import lint

    program = compile_graph(kernels("gap2d", Lowering.MULSHIFT), engine)
    parameters = sorted(rtl_parameters(program).items())
    lint("sf_mo_top", [ENGINE, RAM, REGS, TOP], parameters=parameters)
