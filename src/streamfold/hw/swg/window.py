"""Whole windows, several per word: the sliding window at folding ``mmv > 1`` (sf_swg_win.v).

A 1-D or 2-D window generator that emits ``mmv`` whole windows per output word, in the plain stream
order of the SlidingWindow's output, so an MVAU at the same mmv (PE = out_features, SIMD =
in_features) computes ``mmv`` samples per cycle. Its input takes ``in_pixels`` whole pixels per
word: the fewest dividing the signal length for which the input keeps up with the output.
Why sf_swg cannot: it emits one kernel position (SIMD channels) per word, so a window of K
positions over C channels takes K * C / SIMD cycles (K cycles per sample at one channel).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from streamfold.cost.devices import Family
from streamfold.errors import FoldingError
from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat, divisors
from streamfold.hw.swg.params import SwgParams
from streamfold.synth.resources import Resources

SOURCE = Path(__file__).with_name("sf_swg_win.v")
OUTPUT_REGISTER_CYCLES = 1  # the output word is registered the cycle after its pixels are in


def check(name: str, params: SwgParams, folding: NodeFolding) -> None:
    """Raise FoldingError unless whole windows at ``folding.mmv`` per word are possible."""
    mmv = folding.mmv
    if params.mmv != 1:
        raise FoldingError(f"{name}: mmv={mmv} (whole windows per word) needs params.mmv = 1")
    if folding.pe != 1 or folding.simd != params.channels:
        raise FoldingError(
            f"{name}: with mmv={mmv}, (pe, simd) must be (1, {params.channels}) (whole pixels "
            f"per word), not {(folding.pe, folding.simd)}"
        )
    ow = params.out_hw[1]
    if ow % mmv:
        raise FoldingError(f"{name}: mmv={mmv} must divide out width={ow}")


def groups(params: SwgParams, folding: NodeFolding) -> int:
    """Output words per frame: OH * OW / mmv."""
    oh, ow = params.out_hw
    return oh * ow // folding.mmv


def _pixels(params: SwgParams) -> int:
    h, w = params.in_hw
    return h * w


def in_pixels(params: SwgParams, folding: NodeFolding) -> int:
    """Pixels per input word: the fewest dividing H * W with H * W / in_pixels <= groups."""
    n = _pixels(params)
    return next(d for d in divisors(n) if n // d <= groups(params, folding))


def _drops(params: SwgParams, folding: NodeFolding) -> tuple[int, int, int, int]:
    """sf_swg_win's NEED, STEP, ROW_DROP and FRAME_DROP (pixels)."""
    (h, w), (kh, kw), (sh, sw) = params.in_hw, params.kernel_hw, params.stride_hw
    oh, ow = params.out_hw
    step, og = folding.mmv * sw, ow // folding.mmv
    need = (kh - 1) * w + (folding.mmv - 1) * sw + kw
    row = sh * w - (og - 1) * step
    frame = h * w - (oh - 1) * sh * w - (og - 1) * step
    return need, step, row, frame


def buffer_pixels(params: SwgParams, folding: NodeFolding) -> int:
    """sf_swg_win's BUF: the frame's last word's pixels, the next frame's first word's and two
    input words, so the input never waits for a frame change."""
    need, _, _, frame = _drops(params, folding)
    return frame + need + 2 * in_pixels(params, folding)


def needs(params: SwgParams, folding: NodeFolding) -> npt.NDArray[np.int64]:
    """Per output word, the input word holding its last needed pixel."""
    w, sh = params.in_hw[1], params.stride_hw[0]
    oh, ow = params.out_hw
    need, step, row, _ = _drops(params, folding)
    og = ow // folding.mmv
    g = np.tile(np.arange(og, dtype=np.int64), oh)
    oy = np.repeat(np.arange(oh, dtype=np.int64), og)
    want = np.where(g == og - 1, max(need, row), max(need, step))
    last = oy * sh * w + g * step + want - 1
    last[-1] = _pixels(params) - 1
    return last // in_pixels(params, folding)


def cycles(params: SwgParams, folding: NodeFolding) -> int:
    """Initiation interval: the busier side moves one word per cycle."""
    return max(_pixels(params) // in_pixels(params, folding), groups(params, folding))


def needed(params: SwgParams, folding: NodeFolding) -> int:
    """Input words the first output word needs."""
    return int(needs(params, folding)[0]) + 1


def latency(params: SwgParams, folding: NodeFolding) -> int:
    """First input handshake to first output handshake: its last needed input word arrives
    ``needed - 1`` cycles after the first, then the buffer and the output register."""
    return needed(params, folding) - 1 + 1 + OUTPUT_REGISTER_CYCLES


def instance(params: SwgParams, folding: NodeFolding, name: str) -> RtlInstance:
    """An sf_swg_win instance (no memory images)."""
    check(name, params, folding)
    (h, w), (kh, kw), (sh, sw) = params.in_hw, params.kernel_hw, params.stride_hw
    ip = in_pixels(params, folding)
    parameters: tuple[tuple[str, int | str], ...] = (
        ("ELEM_BITS", params.dtype.bits),
        ("C", params.channels),
        ("H", h),
        ("W", w),
        ("K_H", kh),
        ("K_W", kw),
        ("S_H", sh),
        ("S_W", sw),
        ("MMV", folding.mmv),
        ("IN_PIX", ip),
        ("BUF", buffer_pixels(params, folding)),
    )
    c = params.channels
    return RtlInstance(
        module="sf_swg_win",
        sources=(SOURCE,),
        parameters=parameters,
        memories=(),
        stream_in=StreamFormat(params.dtype, ip * c, params.in_vector),
        stream_out=StreamFormat(params.dtype, folding.mmv * kh * kw * c, params.out_vector),
    )


def resources(params: SwgParams, folding: NodeFolding, family: Family) -> Resources:
    """A structural estimate, not calibrated against Yosys: registers for the buffer and the
    output word; per buffer bit a LUT for the drop-or-keep shift and one per write position an
    input pixel can take (the append's multiplexer)."""
    bits = params.channels * params.dtype.bits
    buf = buffer_pixels(params, folding)
    out_bits = folding.mmv * params.window * bits
    ff = buf * bits + out_bits + 2 * buf.bit_length() + 1
    lut = buf * bits * (1 + in_pixels(params, folding) // 2)
    return Resources(lut=lut, ff=ff)
