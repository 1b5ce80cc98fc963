"""Whole windows, several per word: the sliding window at folding ``mmv > 1`` (sf_swg_win.v).

A 1-D window generator that emits ``mmv`` whole windows per output word, in the plain stream
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
    if len(params.in_dims) != 1 or params.mmv != 1:
        raise FoldingError(
            f"{name}: mmv={mmv} (whole windows per word) must be on a 1-D window, "
            f"not on input dims {params.in_dims}"
        )
    if folding.pe != 1 or folding.simd != params.channels:
        raise FoldingError(
            f"{name}: with mmv={mmv}, (pe, simd) must be (1, {params.channels}) (whole pixels "
            f"per word), not {(folding.pe, folding.simd)}"
        )
    (k,), (s,), (ow,) = params.kernel_size, params.stride, params.out_dims
    if s > k:
        raise FoldingError(f"{name}: with mmv={mmv}, stride={s} must be at most kernel={k}")
    if ow % mmv:
        raise FoldingError(f"{name}: mmv={mmv} must divide out length={ow}")


def groups(params: SwgParams, folding: NodeFolding) -> int:
    """Output words per frame."""
    return params.out_dims[0] // folding.mmv


def in_pixels(params: SwgParams, folding: NodeFolding) -> int:
    """Pixels per input word: the fewest dividing the length with W / in_pixels <= groups."""
    w = params.in_dims[0]
    return next(d for d in divisors(w) if w // d <= groups(params, folding))


def buffer_pixels(params: SwgParams, folding: NodeFolding) -> int:
    """sf_swg_win's BUF: the last word's pixels and two input words."""
    return last_pixels(params, folding) + 2 * in_pixels(params, folding)


def last_pixels(params: SwgParams, folding: NodeFolding) -> int:
    """Pixels the frame's last word needs (all the frame has left)."""
    (s,) = params.stride
    return params.in_dims[0] - (groups(params, folding) - 1) * folding.mmv * s


def needed_pixels(params: SwgParams, folding: NodeFolding) -> int:
    """Pixels an output word needs (the frame's last: ``last_pixels``)."""
    (k,), (s,) = params.kernel_size, params.stride
    return (folding.mmv - 1) * s + k


def cycles(params: SwgParams, folding: NodeFolding) -> int:
    """Initiation interval: the busier side moves one word per cycle."""
    return max(params.in_dims[0] // in_pixels(params, folding), groups(params, folding))


def needs(params: SwgParams, folding: NodeFolding) -> npt.NDArray[np.int64]:
    """Per output word, the input word holding its last needed pixel."""
    ip, step = in_pixels(params, folding), folding.mmv * params.stride[0]
    g = np.arange(groups(params, folding), dtype=np.int64)
    last = g * step + needed_pixels(params, folding) - 1
    last[-1] = params.in_dims[0] - 1
    return last // ip


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
    (w,), (k,), (s,) = params.in_dims, params.kernel_size, params.stride
    ip = in_pixels(params, folding)
    parameters: tuple[tuple[str, int | str], ...] = (
        ("ELEM_BITS", params.dtype.bits),
        ("C", params.channels),
        ("W", w),
        ("K", k),
        ("S", s),
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
        stream_out=StreamFormat(params.dtype, folding.mmv * k * c, params.out_vector),
    )


def resources(params: SwgParams, folding: NodeFolding, family: Family) -> Resources:
    """A structural estimate, not calibrated against Yosys: registers for the buffer and the
    output word; per buffer bit a LUT for the drop-or-keep shift and one per write position an
    input pixel can take (the append's multiplexer)."""
    bits = params.channels * params.dtype.bits
    buf = buffer_pixels(params, folding)
    out_bits = folding.mmv * params.kernel_size[0] * bits
    ff = buf * bits + out_bits + 2 * buf.bit_length() + 1
    lut = buf * bits * (1 + in_pixels(params, folding) // 2)
    return Resources(lut=lut, ff=ff)
