"""The MO compiler and word-level model: every test net, compiled for engines of several
shapes, runs from its memory image bit-exact against ``sim.exact``; the errors name the layer,
the value and the engine's maximum; images and build directories are deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cnn_nets import calibrated, chain3_net, conv1d_net, conv2d_net, gap2d_net
from streamfold.errors import FoldingError, ResourceError
from streamfold.flow import to_kernels
from streamfold.frontend import torch as sequential
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.ir.graph import Graph
from streamfold.mo.compiler import compile_graph
from streamfold.mo.cost import Memory, program_cost
from streamfold.mo.engine import EngineConfig, pack, unpack
from streamfold.mo.flow import build_mo
from streamfold.mo.layer import Kind
from streamfold.mo.model import run_program
from streamfold.sim.exact import run_single
from streamfold.simulate import random_inputs
from streamfold.transforms.lower_requantize import Lowering

NETS = {
    "conv2d": (conv2d_net, (2, 11, 14)),
    "chain3": (chain3_net, (1, 8, 8)),
    "gap2d": (gap2d_net, (3, 8, 8)),
    "conv1d": (conv1d_net, (1, 40)),
}
SMALL = EngineConfig(simd=4, pe=2, max_channels=64, max_kernel=5, max_map=64)


def kernels(net: str, lowering: Lowering | None = None) -> Graph:
    make, shape = NETS[net]
    model = make()
    calibrated(model, shape, 0)
    return to_kernels(sequential.export(model, shape), lowering)


@pytest.mark.parametrize("net", sorted(NETS))
@pytest.mark.parametrize("lowering", [Lowering.THRESHOLDS, Lowering.MULSHIFT])
def test_model_runs_the_image_bit_exact(net: str, lowering: Lowering) -> None:
    graph = kernels(net, lowering)
    x = random_inputs(graph, 4, seed=1)
    expected = run_single(graph, x)
    for engine in (SMALL, EngineConfig(simd=2, pe=8, max_kernel=5), EngineConfig(simd=1, pe=1)):
        if max(max(n.op.kernel_size) for n in graph.nodes if hasattr(n.op, "kernel_size")) > (
            engine.max_kernel
        ):
            continue
        np.testing.assert_array_equal(run_program(compile_graph(graph, engine), x), expected)


def test_cnv_w1a1_runs_bit_exact_from_its_image() -> None:
    from streamfold.zoo import reference_graph

    graph = to_kernels(reference_graph("cnv-w1a1"))
    program = compile_graph(graph, EngineConfig(simd=32, pe=16))
    kinds = [layer.kind for layer in program.layers]
    assert kinds.count(Kind.MVTU) == 9 and kinds.count(Kind.MAXPOOL) == 2
    x = random_inputs(graph, 2, seed=0)
    np.testing.assert_array_equal(run_program(program, x), run_single(graph, x))


@pytest.mark.parametrize("t", [IntType(3, True), IntType(5, False), BIPOLAR, IntType(16, True)])
def test_pack_round_trips(t: IntType, rng: np.random.Generator) -> None:
    values = rng.integers(t.min, t.max + 1, size=37)
    if t.bipolar:
        values = 2 * rng.integers(0, 2, size=37) - 1
    data = pack(values, t)
    assert len(data) == -(-37 * t.bits // 8)
    np.testing.assert_array_equal(unpack(b"\xff" + data, 1, 37, t), values)


def test_pack_is_little_endian_bit_order() -> None:
    assert pack(np.array([1, 2, 3, -1]), IntType(4, True)) == bytes([0x21, 0xF3])


def test_a_kernel_beyond_the_maximum_names_the_layer() -> None:
    with pytest.raises(FoldingError) as e:
        compile_graph(kernels("conv2d"), EngineConfig(max_kernel=2))
    assert str(e.value) == (
        "MO: node 'quantconv2d1': kernel size must be <= 2 (the engine's maximum), not 3"
    )


def test_channels_and_widths_beyond_the_maximum_name_the_layer() -> None:
    graph = kernels("chain3")
    with pytest.raises(
        FoldingError, match=r"'quantconv2d4': output channels must be <= 8 .*not 16"
    ):
        compile_graph(graph, EngineConfig(max_channels=8))
    with pytest.raises(
        FoldingError, match=r"'quantconv2d1': input width \(u8\) in bits must be <= 4"
    ):
        compile_graph(graph, EngineConfig(activation_bits=4))
    with pytest.raises(FoldingError, match=r"'quantconv2d1': map size must be <= 7 .*not 8"):
        compile_graph(graph, EngineConfig(max_map=7))
    with pytest.raises(
        FoldingError, match="'quantconv2d1': accumulator width in bits must be <= 8"
    ):
        compile_graph(graph, EngineConfig(accumulator_bits=8))


def test_a_schedule_beyond_the_memory_is_an_error() -> None:
    graph = kernels("conv2d")
    need = compile_graph(graph, SMALL).memory_bytes
    with pytest.raises(ResourceError) as e:
        compile_graph(graph, EngineConfig(**{**_fields(SMALL), "memory_bytes": need - 1}))
    assert str(e.value).startswith(f"MO: memory must hold the schedule's {need} bytes")
    assert str(e.value).endswith(f"not {need - 1}")


def _fields(engine: EngineConfig) -> dict[str, object]:
    from dataclasses import asdict

    return asdict(engine)


def test_build_directory_is_deterministic(tmp_path: Path) -> None:
    graph = kernels("gap2d")
    memory = Memory(bytes_per_cycle=4, latency_cycles=10)
    a = build_mo(graph, SMALL, tmp_path / "a", memory)
    b = build_mo(graph, SMALL, tmp_path / "b", memory)
    for name in ("image.bin", "image.hex", "schedule.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    schedule = json.loads((a / "schedule.json").read_text())
    assert [layer["node"] for layer in schedule["layers"]] == [
        "quantconv2d1", "quantconv2d4", "adaptiveavgpool2d7", "requantizer9", "quantlinear10"
    ]  # fmt: skip
    assert schedule["frame_cycles"] == sum(layer["cost"]["cycles"] for layer in schedule["layers"])


def test_layer_cost_by_hand() -> None:
    """chain3's first convolution (u8 1x8x8, pad 1, 3x3, 8 outputs of u2, 3 thresholds each)
    on SIMD 4 x PE 2 (blocks of B = 4 channels), memory of 8 bytes/cycle and latency 10:
    2 tiles of 4 output channels, each 64 pixels x 2 sub-tiles x 9 folds (1152 cycles; one
    group of 4 lanes per window position, 3 of them beyond the one channel), the next tile
    (4 x 9 x 4 weights at 8 bits: 144 bytes) fetched meanwhile in 31, one cycle to switch.
    Set-up: reads of latency + words + 3: descriptor 10 + 16 + 3, thresholds (8 rows of 16
    words: 512 bytes) 10 + 64 + 3, input (1 channel padded to 4, 64 pixels, 8 bits: 256 bytes)
    10 + 32 + 3, first tile 10 + 18 + 3; the pipeline's drain 9 + log2(4); the output (8
    channels of 2 bits: 128 bytes, one burst) 2 + 16 words + its response (10 + 1) + 3."""
    from streamfold.mo.cost import layer_cost

    program = compile_graph(kernels("chain3"), SMALL)
    layer = program.layers[0]
    assert (layer.window, layer.w_tile_bytes, layer.p_rows, layer.p_levels) == (9, 144, 8, 3)
    assert (layer.folds, layer.in_words, layer.out_words, layer.p_words) == (9, 32, 16, 64)
    cost = layer_cost("c", layer, SMALL, Memory(bytes_per_cycle=8, latency_cycles=10))
    setup = 29 + 77 + 45 + 31 + 11 + (2 + 16 + 11 + 3)
    assert (cost.compute_cycles, cost.bytes_moved, cost.setup_cycles) == (2304, 144, setup)
    assert cost.cycles == setup + 1152 + (1152 + 1)
    slow = layer_cost("c", layer, SMALL, Memory(bytes_per_cycle=0.1, latency_cycles=10))
    fetch = 10 + 1 + 17 * 80 + 3  # one tile at 80 cycles per word: longer than its compute
    assert slow.cycles == slow.setup_cycles + 1152 + (max(1152, fetch) + 1)
    assert fetch > 1152


def test_a_kernel_the_engine_lacks_is_named() -> None:
    import torch
    from torch import nn

    from streamfold.quant import QuantConv2d, QuantInput, Requantizer

    model = nn.Sequential(
        QuantInput(4, scale=1 / 15),
        QuantConv2d(2, 4, 3, bias=False, weight_bits=2),
        Requantizer(2, signed=False),
        nn.Upsample(scale_factor=2),
        QuantConv2d(4, 4, 3, bias=False, weight_bits=2),
    )
    model.train()
    model(torch.rand(8, 2, 8, 8))
    model.eval()
    graph = to_kernels(sequential.export(model, (2, 8, 8)))
    name = next(n.name for n in graph.nodes if type(n.op).__name__ == "Upsample")
    with pytest.raises(FoldingError, match=f"node '{name}' \\(Upsample\\) must be one the engine"):
        compile_graph(graph, SMALL)


def test_plan_on_a_device_uses_its_memory_bandwidth() -> None:
    from streamfold.cost.devices import device
    from streamfold.mo.flow import plan_mo

    graph = kernels("chain3")
    plan = plan_mo(graph, SMALL, device("xc7z020"), 100.0, latency_cycles=40)
    assert plan.memory == Memory(4.26e3 / 100.0, 40)  # 4.26 GB/s at 100 MHz
    assert plan.frame_cycles == sum(c.cycles for c in program_cost(plan.program, plan.memory))
    assert plan.fps == 100e6 / plan.frame_cycles


def test_engine_sizes_must_be_powers_of_two() -> None:
    with pytest.raises(FoldingError, match=r"^EngineConfig.pe must be a power of two, not 3$"):
        EngineConfig(simd=4, pe=3)


def test_more_thresholds_than_the_engine_holds_name_the_layer() -> None:
    with pytest.raises(
        FoldingError, match=r"'quantconv2d1': threshold levels must be <= 2 .*not 3$"
    ):
        compile_graph(kernels("chain3"), EngineConfig(max_levels=2))


@pytest.mark.parametrize("channels, block", [(3, 4), (8, 4), (5, 8), (16, 16)])
def test_blocked_layout_round_trips(channels: int, block: int) -> None:
    from streamfold.mo.engine import blocked, blocked_size, unblocked

    values = np.arange(channels * 6)
    b = blocked(values, channels, block, fill=-1)
    assert b.size == blocked_size(channels, 6, block) == -(-channels // block) * block * 6
    assert b[1 * block + 0] == channels  # pixel 1, channel 0 follows pixel 0's block
    np.testing.assert_array_equal(unblocked(b, channels, 6, block), values)
