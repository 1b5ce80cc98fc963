"""Cycle model and buffer size of sf_swg.v (cycles measured by tests/hw/test_swg.py).

The writer takes one input word per cycle and the reader issues one output word per cycle, each
limited only by the other through the buffer; with the buffer ``buffer_words`` chooses, the
busier side never waits in steady state, so a frame takes ``max(input words, output words)``
cycles; the startup before the first output word is ``latency``. Measured: exact on every
curated case and sweep configuration of tests/hw/test_swg.py, and on CNV-sized layers (conv0
3 x 32 x 32, conv1 64 x 30 x 30 at SIMD 32) and 1-D signals of 515 and 1024 samples.
"""

from __future__ import annotations

from streamfold.hw.block import NodeFolding
from streamfold.hw.swg.params import SwgParams

# From sf_swg.v: a read issued at cycle t is registered in the buffer's read register (1) and
# written to the output FIFO (1), so its word is offered at t + 2. A read issues the cycle after
# the write of the last word it needs (the write is seen through the `ahead` register: 1).
READ_REGISTER_CYCLES = 1
FIFO_CYCLES = 1
WRITE_VISIBLE_CYCLES = 1


def words_in(params: SwgParams, folding: NodeFolding) -> int:
    """Input words per frame: pixels * C / SIMD."""
    return params.in_vector // folding.simd


def words_out(params: SwgParams, folding: NodeFolding) -> int:
    """Output words per frame: out_pixels / mmv * K_h * K_w * C / SIMD."""
    return params.out_vector // (folding.simd * params.mmv)


def cycles(params: SwgParams, folding: NodeFolding) -> int:
    """Initiation interval: the busier side moves one word per cycle."""
    return max(words_in(params, folding), words_out(params, folding))


def latency(params: SwgParams, folding: NodeFolding) -> int:
    """First input handshake to first output handshake (no stalls): the first output word
    needs input word (mmv - 1) * S_w * C / SIMD (the group's last pixel), written one per
    cycle from the first, then the write, read and FIFO registers. A frame's last output word
    waits for its whole input frame: with one output word per frame, that is the first."""
    if words_out(params, folding) == 1:
        first_needed = words_in(params, folding) - 1
    else:
        first_needed = (params.mmv - 1) * params.stride_hw[1] * (params.channels // folding.simd)
    return first_needed + WRITE_VISIBLE_CYCLES + READ_REGISTER_CYCLES + FIFO_CYCLES


def window_span_pixels(params: SwgParams) -> int:
    """Input pixels from the first to the last of one group's windows: the buffer must hold
    at least these (times C / SIMD words) for the reader to make progress."""
    (_, w), (kh, kw), (_, sw) = params.in_hw, params.kernel_hw, params.stride_hw
    return (kh - 1) * w + (params.mmv - 1) * sw + kw


def lookahead_pixels(params: SwgParams) -> int:
    """Pixels from the window group the reader is on to the end of the next group it needs,
    at the worst place: a row change or a frame change (the next frame's first group), plus
    one group's advance so the writer is there before the reader arrives.

    Row change (last group of output row oy -> first of oy + 1):
        (S_h + K_h - 2) * W + 2 * K_w + trail_w + 2 * (mmv - 1) * S_w
    Frame change: (2 * K_h - 2 + trail_h) * W + 2 * K_w + trail_w + 2 * (mmv - 1) * S_w,
    where trail_w = (W - K_w) mod S_w and trail_h = (H - K_h) mod S_h are the input columns and
    rows no window reads.
    """
    (h, w), (kh, kw), (sh, sw) = params.in_hw, params.kernel_hw, params.stride_hw
    trail_w, trail_h = (w - kw) % sw, (h - kh) % sh
    group = 2 * kw + trail_w + 2 * (params.mmv - 1) * sw
    row = (sh + kh - 2) * w + group if params.out_hw[0] > 1 else 0
    frame = (2 * kh - 2 + trail_h) * w + group
    return max(row, frame) + params.mmv * sw


def buffer_words(params: SwgParams, folding: NodeFolding) -> int:
    """Buffer depth (DEPTH of sf_swg.v): the lookahead in words, rounded up to a power of
    two (addresses wrap by truncation), at least 2."""
    words = max(lookahead_pixels(params), window_span_pixels(params))
    words *= params.channels // folding.simd
    return max(2, 1 << (words - 1).bit_length())
