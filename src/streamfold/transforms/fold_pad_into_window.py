"""fold_pad_into_window: a 1-D "same" Pad feeding only a sliding window moves into the window
(``SlidingWindow.pads``), so the window at several samples per word (``hw/swg/line.py``)
inserts the border itself.

A Pad block takes one pixel per word, and a padded signal's length (L + K - 1) is rarely a
multiple of the samples per word, so a separate padding stage would either hold the pipeline
at one sample per cycle or need a realigning buffer; inside the window the border costs a
constant multiplexer per border pixel. Only what that window builds is folded: a 1-D window of
stride 1 whose padding keeps the length (left + right = K - 1), the Pad's value fitting the
window's type (``infer_types`` gives a Pad its input's type when the type holds the value).

Requires: a kernel graph (``lower_to_kernels``). Ensures: same outputs for every input (the
padded window is the Pad then the window, ``sim.exact``); value names of the windows kept, the
Pads' values gone.
"""

from __future__ import annotations

from dataclasses import replace

from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import Pad, SlidingWindow


def fold_pad_into_window(graph: Graph) -> Graph:
    for window in graph.nodes:
        pad = _foldable_pad(graph, window)
        if pad is None:
            continue
        assert isinstance(pad.op, Pad) and isinstance(window.op, SlidingWindow)
        op = replace(window.op, pads=pad.op.pads, value=pad.op.value)
        folded = replace(window, op=op, inputs=pad.inputs)
        nodes = tuple(folded if n is window else n for n in graph.nodes if n is not pad)
        return fold_pad_into_window(replace(graph, nodes=nodes))
    return graph


def _foldable_pad(graph: Graph, window: Node) -> Node | None:
    """The Pad feeding 1-D window ``window`` and nothing else, when the window keeps the
    length (stride 1, left + right = K - 1) and has no padding yet."""
    op = window.op
    if not isinstance(op, SlidingWindow) or op.pads or len(op.kernel_size) != 1:
        return None
    pad = graph.producer(window.inputs[0])
    if pad is None or not isinstance(pad.op, Pad):
        return None
    if pad.output.name in graph.outputs or len(graph.consumers(pad.output.name)) != 1:
        return None
    same = op.stride == (1,) and sum(pad.op.pads) == op.kernel_size[0] - 1
    typed = pad.output.dtype == graph.value(pad.inputs[0]).dtype
    return pad if same and typed else None
