"""The pin wrapper (synth.pinwrap, hw/pinwrap): when it is chosen, that it is transparent in
Verilator (chunks in, the same words out, under stalls), and that a design with a 512-bit input
stream places and routes on ECP5 through it (slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from streamfold.api import compile
from streamfold.cost.devices import device
from streamfold.errors import ResourceError
from streamfold.hw.pinwrap import SOURCES
from streamfold.models import mlp
from streamfold.sim import stream
from streamfold.sim.design import load_manifest
from streamfold.sim.exact import run_single
from streamfold.sim.rtl import lint, run
from streamfold.sim.verilate import build
from streamfold.synth import pinwrap
from streamfold.synth.implement import implement_build


def test_plan_leaves_a_design_that_fits_its_pins_as_it_is() -> None:
    p = pinwrap.plan("sf_top", 8, 4, 365)
    assert not p.wraps and (p.in_pins, p.out_pins) == (8, 4) and p.pins == 8 + 4 + 6


def test_plan_serialises_the_wide_input_first() -> None:
    p = pinwrap.plan("sf_top", 784, 40, 365)
    assert p.wraps and (p.in_pins, p.out_pins) == (32, 40) and p.pins == 78


def test_plan_serialises_both_streams_when_the_input_alone_is_not_enough() -> None:
    p = pinwrap.plan("sf_top", 784, 400, 365)
    assert (p.in_pins, p.out_pins) == (32, 32)


def test_plan_exactly_at_the_pins_is_not_wrapped() -> None:
    assert not pinwrap.plan("sf_top", 300, 59, 365).wraps  # 300 + 59 + 6 = 365
    assert pinwrap.plan("sf_top", 300, 60, 365).wraps


def test_plan_names_ports_and_pins_when_even_chunks_do_not_fit() -> None:
    with pytest.raises(
        ResourceError,
        match=(
            r"^sf_top: ports s_axis_tdata \(784 bits\) and m_axis_tdata \(400 bits\) must fit "
            r"60 pins, even serialised to 32 \+ 32 data pins \(70 pins with clock, reset and "
            r"handshakes\)$"
        ),
    ):
        pinwrap.plan("sf_top", 784, 400, 60)


def test_package_pins_of_the_ecp5_parts() -> None:
    assert pinwrap.package_pins(device("lfe5u-85f")) == 365
    assert pinwrap.package_pins(device("lfe5u-25f")) == 197
    with pytest.raises(ResourceError, match=r"^pin wrapper: device and package must be one of"):
        pinwrap.package_pins(device("xc7z020"))


def test_wrapper_top_instantiates_only_what_the_plan_wraps() -> None:
    text = pinwrap.wrapper_source(pinwrap.plan("sf_top", 784, 40, 365))
    assert "sf_pinwrap_in" in text and "sf_pinwrap_out" not in text
    assert "module sf_pinwrap_top" in text and "sf_top u_design" in text
    assert text == pinwrap.wrapper_source(pinwrap.plan("sf_top", 784, 40, 365))  # stable


def test_registered_plan_puts_both_streams_through_a_stage() -> None:
    """``registered``: a design whose pins fit is still wrapped, each stream through a
    one-chunk stage, the output's ready from its own register (no design path via a pin)."""
    p = pinwrap.plan("sf_top", 128, 176, 365, registered=True)
    assert (p.in_pins, p.out_pins, p.wraps, p.registered) == (128, 176, True, True)
    text = pinwrap.wrapper_source(p)
    assert "sf_pinwrap_in" in text and "sf_pinwrap_out" in text
    assert ".REG_READY(1)" in text and ".PINS(128)" in text and ".PINS(176)" in text
    wide = pinwrap.plan("sf_top", 784, 40, 365, registered=True)  # chunked and registered
    assert (wide.in_pins, wide.out_pins, wide.registered) == (32, 40, True)
    assert not pinwrap.plan("sf_top", 128, 176, 365).wraps


def chunks(word: int, width: int, pins: int) -> list[int]:
    """A word as the wrapper carries it: ceil(width / pins) chunks, least significant first."""
    n = -(-width // pins)
    return [(word >> (i * pins)) & ((1 << pins) - 1) for i in range(n)]


WIDTHS = [  # WIDTH, PINS
    pytest.param(10, 4, id="ragged-10-on-4"),
    pytest.param(64, 16, id="even-64-on-16"),
    pytest.param(8, 8, id="one-chunk"),
]


@pytest.mark.rtl
@pytest.mark.parametrize("width, pins", WIDTHS)
def test_pinwrap_in_gathers_chunks_into_words(rtl_cache: Path, width: int, pins: int) -> None:
    rng = np.random.default_rng(width)
    words = [int(w) for w in rng.integers(0, 1 << width, size=50, dtype=np.uint64)]
    params = (("WIDTH", width), ("PINS", pins))
    b = build("sf_pinwrap_in", SOURCES[:1], in_width=pins, out_width=width, parameters=params,
              cache_dir=rtl_cache)  # fmt: skip
    feed = [c for w in words for c in chunks(w, width, pins)]
    r = run(b, feed, out_words=len(words), out_words_per_frame=1, stall_in=0.3, stall_out=0.3)
    assert list(r.words_out) == words
    lint("sf_pinwrap_in", SOURCES[:1], parameters=params)


@pytest.mark.rtl
@pytest.mark.parametrize("reg_ready", [0, 1], ids=["ready-through", "registered-ready"])
@pytest.mark.parametrize("width, pins", WIDTHS)
def test_pinwrap_out_sends_words_as_chunks(
    rtl_cache: Path, width: int, pins: int, reg_ready: int
) -> None:
    rng = np.random.default_rng(width + 1)
    words = [int(w) for w in rng.integers(0, 1 << width, size=50, dtype=np.uint64)]
    params = (("WIDTH", width), ("PINS", pins), ("REG_READY", reg_ready))
    b = build("sf_pinwrap_out", SOURCES[1:], in_width=width, out_width=pins, parameters=params,
              cache_dir=rtl_cache)  # fmt: skip
    expected = [c for w in words for c in chunks(w, width, pins)]
    r = run(b, words, out_words=len(expected), out_words_per_frame=1, stall_in=0.3, stall_out=0.3)
    assert list(r.words_out) == expected
    lint("sf_pinwrap_out", SOURCES[1:], parameters=params)


@pytest.fixture(scope="module")
def wide_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 64-16-4 W2A2 MLP at SIMD 64 in its first layer: a 512-bit input word (more than the
    365 pins of the LFE5U-85F package) and an 8-bit output."""
    torch.manual_seed(0)
    model = mlp(64, (16,), 4, weight_bits=2, act_bits=2).eval()
    acc = compile(model, (64,), device="lfe5u-85f", folding={"quantlinear1": {"simd": 64}})
    return acc.build(tmp_path_factory.mktemp("wide") / "mlp")


@pytest.mark.rtl
@pytest.mark.parametrize("registered", [False, True], ids=["wide-input", "registered"])
def test_wrapped_design_computes_what_the_design_computes(
    wide_build: Path, rtl_cache: Path, tmp_path: Path, registered: bool
) -> None:
    """Through the wrapper its plan picks (the 512-bit input in chunks); ``registered``: the
    output through its registered stage too (REG_READY), as ``register_io`` places it."""
    from streamfold.design import DesignPoint, stitch
    from streamfold.ir.text import parse_graph

    manifest = load_manifest(wide_build)
    in_bits, out_bits = manifest["stream_in"]["width"], manifest["stream_out"]["width"]
    assert in_bits == 512
    p = pinwrap.plan(manifest["top"], in_bits, out_bits, 365, registered)
    assert p.wraps and p.in_pins == pinwrap.CHUNK_BITS and p.out_pins == out_bits
    assert ("sf_pinwrap_out" in pinwrap.wrapper_source(p)) == registered
    (tmp_path / pinwrap.SOURCE).write_text(pinwrap.wrapper_source(p))
    sources = [wide_build / s for s in manifest["sources"]]
    memories = [(Path(m).name, (wide_build / m).read_text()) for m in manifest["memories"]]
    b = build(pinwrap.TOP, [*sources, *SOURCES, tmp_path / pinwrap.SOURCE], in_width=p.in_pins,
              out_width=p.out_pins, memories=memories, cache_dir=rtl_cache)  # fmt: skip
    graph = parse_graph((wide_build / "graph.hw.sfir").read_text())
    design = stitch(graph, DesignPoint.from_json((wide_build / "design_point.json").read_text()))
    x = np.random.default_rng(3).integers(0, 256, size=(6, 64))
    words = stream.pack(x, design.stream_in)
    feed = [c for w in words for c in chunks(int(w), in_bits, p.in_pins)]
    r = run(b, feed, out_words=6 * design.stream_out.words,
            out_words_per_frame=design.stream_out.words, stall_in=0.2, stall_out=0.2)  # fmt: skip
    y = stream.unpack(r.words_out, design.stream_out, 6)
    np.testing.assert_array_equal(y, run_single(graph, x))


@pytest.mark.synth
@pytest.mark.slow
def test_wide_input_design_places_and_routes_through_the_wrapper(wide_build: Path) -> None:
    impl = implement_build(wide_build, device("lfe5u-85f"), per_stage=False)
    assert impl.pinwrap is not None and impl.pinwrap.wraps
    assert impl.pnr is not None and impl.pnr.fmax_mhz > 10
    io = {name: used for name, used, _ in impl.pnr.utilisation}["TRELLIS_IO"]
    assert io == impl.pinwrap.pins  # 32 + 8 data pins, handshakes, clock and reset
