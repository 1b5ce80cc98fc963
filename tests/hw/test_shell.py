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


@pytest.mark.parametrize("bad_frame", [None, 5], ids=["tlast-right", "tlast-misplaced"])
def test_stream_top_frames_with_tlast_under_stalls(
    graph, rtl_cache, tmp_path: Path, bad_frame
) -> None:  # type: ignore[no-untyped-def]
    """Words padded to bytes, TLAST on each frame's last beat, TKEEP all ones; an input TLAST
    out of place raises STATUS.frame_error (read over AXI4-Lite) and the data still passes."""
    out = build(graph, "folded", tmp_path / "b")
    manifest = read_manifest(out)
    fmt_in, fmt_out = stream_format(manifest["stream_in"]), stream_format(manifest["stream_out"])
    layout = ShellLayout.of(fmt_in, fmt_out)
    ib, ob = layout.inp.word_bytes, layout.out.word_bytes
    sim = rtl_build(
        "sf_test_axis_frames",
        [
            *(out / s for s in manifest["sources"]),
            Path(__file__).with_name("sf_test_axis_frames.v"),
        ],
        in_width=8 * ib + 1,
        out_width=9 * ob + 2,
        memories=[(Path(m).name, (out / m).read_text()) for m in manifest["memories"]],
        parameters=(("IN_BYTES", ib), ("OUT_BYTES", ob)),
        cache_dir=rtl_cache,
    )
    frames = 12
    x = random_codes(np.random.default_rng(5), frames)
    words = pack(x, fmt_in)  # 5-bit words: one byte each, upper bits zero
    lasts = [(j % fmt_in.words == fmt_in.words - 1) for j in range(len(words))]
    if bad_frame is not None:
        lasts[bad_frame * fmt_in.words] = True  # a TLAST on the first beat of a frame
    tagged = [w | (int(last) << (8 * ib)) for w, last in zip(words, lasts, strict=True)]
    r = run(
        sim,
        tagged,
        out_words=frames * fmt_out.words,
        out_words_per_frame=fmt_out.words,
        stall_in=0.3,
        stall_out=0.3,
        seed=2,
    )
    data = [w & ((1 << (8 * ob)) - 1) for w in r.words_out]
    keep = {(w >> (8 * ob)) & ((1 << ob) - 1) for w in r.words_out}
    last = [(w >> (9 * ob)) & 1 for w in r.words_out]
    error = [(w >> (9 * ob + 1)) & 1 for w in r.words_out]
    assert max(data) < (1 << fmt_out.width)  # the padding bits are zero
    np.testing.assert_array_equal(unpack(data, fmt_out, frames), run_single(graph, x))
    assert keep == {(1 << ob) - 1}
    assert last == [int(j % fmt_out.words == fmt_out.words - 1) for j in range(len(data))]
    assert error[0] == 0 and error[-1] == int(bad_frame is not None)
