"""The sf_thresholding instance for a node: parameters and the threshold memory image.

Image layout: see ``image.threshold_image`` and the header of sf_thresholding.v.
"""

from __future__ import annotations

from pathlib import Path

from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.thresholding.image import threshold_image
from streamfold.hw.thresholding.params import ThresholdingParams, check_folding, widened

SOURCE = Path(__file__).with_name("sf_thresholding.v")


def instance(params: ThresholdingParams, folding: NodeFolding, name: str) -> RtlInstance:
    """An sf_thresholding instance named ``name``; its image is ``{name}_thresholds.hex``."""
    check_folding(name, params, folding)
    params, folding = widened(params, folding)
    x, out = params.in_dtype, params.out_dtype
    t = params.thresholds.array
    t_dtype, image = threshold_image(t, params.channels, folding.pe, x.min, x.max)
    thresh_file = f"{name}_thresholds.hex"
    parameters: tuple[tuple[str, int | str], ...] = (
        ("CHANNELS", params.channels),
        ("PE", folding.pe),
        ("IN_BITS", x.bits),
        ("IN_SIGNED", int(x.signed)),
        ("IN_BIPOLAR", int(x.bipolar)),
        ("N_THRESH", t.shape[1]),
        ("T_BITS", t_dtype.bits),
        ("OUT_BITS", out.bits),
        ("OUT_MIN", 0 if out.bipolar else out.min),
        ("OUT_BIPOLAR", int(out.bipolar)),
        ("MEM_STYLE", folding.mem_style.value),
        ("THRESH_FILE", thresh_file),
    )
    return RtlInstance(
        module="sf_thresholding",
        sources=(SOURCE,),
        parameters=parameters,
        memories=((thresh_file, image),),
        stream_in=StreamFormat(x, folding.pe, params.pixels * params.channels),
        stream_out=StreamFormat(out, folding.pe, params.pixels * params.channels),
    )
