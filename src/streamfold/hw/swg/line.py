"""A "same"-padded 1-D window inserting its own padding (sf_swg_line.v): the sliding window of
a ``SlidingWindow`` with ``pads`` (``transforms.fold_pad_into_window``).

``mmv`` whole windows per word in and ``mmv`` samples per word out, so a padded convolution
runs at ``mmv`` samples per cycle: a separate padding stage would emit ``L + K - 1`` samples
per frame, rarely a multiple of ``mmv``. The queue shifts whole words only (no pixel written
at a variable place, unlike sf_swg_win), which keeps it small at 16 samples per word.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from streamfold.cost.devices import Family
from streamfold.errors import FoldingError
from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.swg.params import SwgParams
from streamfold.synth.resources import Resources

SOURCE = Path(__file__).with_name("sf_swg_line.v")
OUTPUT_REGISTER_CYCLES = 1  # a word is registered the cycle after its last input word is in


def check(name: str, params: SwgParams, folding: NodeFolding) -> None:
    """Raise FoldingError unless sf_swg_line builds this padded window at ``folding``."""
    if len(params.in_dims) != 1 or params.stride != (1,):
        raise FoldingError(
            f"{name}: a window with its own padding must be 1-D with stride 1, not "
            f"{len(params.in_dims)}-D with stride {params.stride}"
        )
    (left, right), k = params.padding[0], params.kernel_size[0]
    if left + right != k - 1:
        raise FoldingError(
            f"{name}: a window's own padding must keep the length (left + right = "
            f"{k - 1}), not {left} + {right}"
        )
    if folding.pe != 1 or folding.simd != params.channels:
        raise FoldingError(
            f"{name}: a padded window's (pe, simd) must be (1, {params.channels}) (whole "
            f"samples per word), not {(folding.pe, folding.simd)}"
        )
    length = _length(params)
    if folding.mmv < 1 or length % folding.mmv:
        raise FoldingError(f"{name}: mmv={folding.mmv} must divide the length={length}")


def _length(params: SwgParams) -> int:
    return params.unpadded_dims[0]


def _reach(params: SwgParams, folding: NodeFolding) -> tuple[int, int]:
    """(BL, BR): input words before and after its own that an output word reads."""
    (left, right), m = params.padding[0], folding.mmv
    return -(-left // m), -(-right // m)


def words(params: SwgParams, folding: NodeFolding) -> int:
    """Input and output words per frame: L / mmv."""
    return _length(params) // folding.mmv


def cycles(params: SwgParams, folding: NodeFolding) -> int:
    """Initiation interval: one word per cycle on both sides."""
    return words(params, folding)


def needs(params: SwgParams, folding: NodeFolding) -> npt.NDArray[np.int64]:
    """Per output word g, its last input word: min(g + BR, G - 1)."""
    g = words(params, folding)
    return np.minimum(np.arange(g, dtype=np.int64) + _reach(params, folding)[1], g - 1)


def needed(params: SwgParams, folding: NodeFolding) -> int:
    """Input words the first output word needs."""
    return int(needs(params, folding)[0]) + 1


def latency(params: SwgParams, folding: NodeFolding) -> int:
    """First input handshake to first output handshake: the needed words one per cycle, the
    count register, the output register."""
    return needed(params, folding) - 1 + 1 + OUTPUT_REGISTER_CYCLES


def instance(params: SwgParams, folding: NodeFolding, name: str) -> RtlInstance:
    """An sf_swg_line instance (no memory images)."""
    check(name, params, folding)
    c, k = params.channels, params.kernel_size[0]
    parameters: tuple[tuple[str, int | str], ...] = (
        ("ELEM_BITS", params.dtype.bits),
        ("C", c),
        ("L", _length(params)),
        ("K", k),
        ("PAD_L", params.padding[0][0]),
        ("MMV", folding.mmv),
        ("PAD_CODE", params.pad_code),
    )
    return RtlInstance(
        module="sf_swg_line",
        sources=(SOURCE,),
        parameters=parameters,
        memories=(),
        stream_in=StreamFormat(params.dtype, folding.mmv * c, params.in_vector),
        stream_out=StreamFormat(params.dtype, folding.mmv * k * c, params.out_vector),
    )


def resources(params: SwgParams, folding: NodeFolding, family: Family) -> Resources:
    """A structural estimate, not calibrated against Yosys: flip-flops for the queue (BL + BR
    + 2 words) and the output register; per span bit a LUT for the shift by the count (at most
    BR + 3 places) and the padding mask."""
    bl, br = _reach(params, folding)
    word = folding.mmv * params.channels * params.dtype.bits
    out_bits = word * params.kernel_size[0]
    ff = (bl + br + 2) * word + out_bits + 8
    lut = (bl + br + 1) * word + 8
    return Resources(lut=lut, ff=ff)
