"""L3: the shell RTL. Both tops lint clean with -Wall for differently shaped builds; the
stream top (sf_top_axis) passes frames through the pipeline unchanged under random stalls.
The memory-mapped top (sf_top_axi) is tested through the driver in tests/runtime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shell_nets import build, mlp_graph, random_codes
from streamfold.codegen.build_dir import read_manifest
from streamfold.hw.shell.layout import ShellLayout
from streamfold.hw.shell.rtl import TOP_AXI, TOP_AXIS
from streamfold.sim.design import stream_format
from streamfold.sim.exact import run_single
from streamfold.sim.rtl import build as rtl_build
from streamfold.sim.rtl import lint, run
from streamfold.sim.stream import pack, unpack

pytestmark = pytest.mark.rtl


@pytest.fixture(scope="module")
def graph():  # type: ignore[no-untyped-def]
    return mlp_graph()


@pytest.mark.parametrize("folding", ["folded", "cycles=8"])
@pytest.mark.parametrize("top", [TOP_AXI, TOP_AXIS])
def test_shell_tops_pass_lint(graph, rtl_cache, tmp_path: Path, folding: str, top: str) -> None:  # type: ignore[no-untyped-def]
    out = build(graph, folding, tmp_path / "b")
    manifest = read_manifest(out)
    assert manifest["shell"] == {"axi": TOP_AXI, "axis": TOP_AXIS, "bus_bytes": 4}
    lint(top, [out / s for s in manifest["sources"]])


def test_stream_top_pads_words_to_bytes_under_stalls(graph, rtl_cache, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = build(graph, "folded", tmp_path / "b")
    manifest = read_manifest(out)
    fmt_in, fmt_out = stream_format(manifest["stream_in"]), stream_format(manifest["stream_out"])
    layout = ShellLayout.of(fmt_in, fmt_out)
    x = random_codes(np.random.default_rng(5), 40)
    sim = rtl_build(
        TOP_AXIS,
        [out / s for s in manifest["sources"]],
        in_width=8 * layout.inp.word_bytes,
        out_width=8 * layout.out.word_bytes,
        memories=[(Path(m).name, (out / m).read_text()) for m in manifest["memories"]],
        cache_dir=rtl_cache,
    )
    words = pack(x, fmt_in)  # 5-bit words: one byte each, upper bits zero
    r = run(
        sim,
        words,
        out_words=40 * fmt_out.words,
        out_words_per_frame=fmt_out.words,
        stall_in=0.3,
        stall_out=0.3,
        seed=2,
    )
    assert max(r.words_out) < (1 << fmt_out.width)  # the padding bits are zero
    np.testing.assert_array_equal(unpack(r.words_out, fmt_out, 40), run_single(graph, x))
