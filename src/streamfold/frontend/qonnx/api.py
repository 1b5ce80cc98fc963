"""The public entry point: ``import_qonnx`` and the ``ImportedModel`` it returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import streamfold.frontend.qonnx.numeric as numeric
from streamfold.errors import FrontendError, StreamfoldError
from streamfold.frontend.qonnx.importer import FirstQuant, Walker, plain, unquantized_input
from streamfold.frontend.qonnx.inputs import InputQuant, parse_input_quant
from streamfold.frontend.qonnx.layout import to_onnx_layout
from streamfold.frontend.qonnx.model import Array, OnnxModel, OnnxNode, load_model
from streamfold.frontend.qonnx.values import Act, QConst, Tail
from streamfold.ir.graph import Graph, Scale
from streamfold.ir.verify import verify
from streamfold.transforms.infer_types import infer_types


@dataclass(frozen=True)
class HostProgram:
    """The float ops from the model input up to the first quantizer, run in float32 NumPy
    (or, for a declared input quantization, just that quantization)."""

    input_name: str
    nodes: tuple[OnnxNode, ...]
    first: FirstQuant | InputQuant
    constants: dict[str, Array]

    def codes(self, x: Array) -> Array:
        if isinstance(self.first, InputQuant):
            return self.first.codes(x)
        env: dict[str, Any] = dict(self.constants)
        env[self.input_name] = np.asarray(x, dtype=np.float32)
        for node in self.nodes:
            args = [env[i] if i else None for i in node.inputs]
            for name, v in zip(node.outputs, numeric.evaluate(node, args), strict=False):
                env[name] = v
        q = self.first.node
        args = [env[i] if i else None for i in q.inputs]
        return _first_codes(q, [plain(a) if isinstance(a, QConst) else a for a in args])


def _first_codes(q: OnnxNode, args: list[Any]) -> Array:
    if q.op_type == "BipolarQuant":
        return numeric.bipolar_codes(args[0]).astype(np.int64)
    if q.op_type == "MultiThreshold":
        return numeric.multithreshold(args[0], args[1], 1.0, 0.0).astype(np.int64)
    signed, narrow = bool(q.attr_int("signed", 1)), bool(q.attr_int("narrow", 0))
    bits = int(np.asarray(args[3]).ravel()[0])
    mode = numeric.rounding_mode(q, "ROUND")
    return numeric.quant_codes(args[0], args[1], args[2], bits, signed, narrow, mode).astype(
        np.int64
    )


@dataclass(frozen=True)
class ImportedModel:
    """An imported network: the nn-stage ``graph`` over integer input codes, and the host step.

    ``input_codes(x)`` turns float model inputs (batched, the ONNX input's layout) into the
    graph's input codes exactly as the qonnx executor computes them (float32). ``tail`` names
    a final Softmax/LogSoftmax/TopK/ArgMax that the graph leaves to the host (the graph outputs
    the logits); ``output_layout`` is the ``Act.layout`` of the ONNX output where it is not
    ``[batch, *graph output shape]`` (after a Transpose or Unsqueeze).
    """

    graph: Graph
    host: HostProgram
    input_shape: tuple[int, ...]
    tail: Tail | None = None
    output_layout: tuple[int, ...] | None = None

    def apply_tail(self, real: np.ndarray) -> np.ndarray:
        """The model's final output from the graph's real (dequantized) outputs: moved into the
        ONNX output's layout (where Transposes/Squeezes changed it), then the host tail."""
        if self.output_layout is not None:
            real = to_onnx_layout(np.asarray(real), self.output_layout)
        return real if self.tail is None else self.tail.apply(real)

    def input_codes(self, x: np.ndarray) -> np.ndarray:
        """Graph input codes ``[batch, *graph input shape]`` of a batch in the ONNX input's
        layout (``[batch, *input_shape[1:]]``); host steps run one sample at a time, as the
        model (declared with batch 1) computes them."""
        x = np.asarray(x)
        per_sample = self.input_shape[1:]
        if x.ndim != len(self.input_shape) or x.shape[1:] != per_sample:
            raise FrontendError(
                f"model input {self.host.input_name!r}: must have shape "
                f"[batch, {', '.join(map(str, per_sample))}], not {list(x.shape)}"
            )
        shape = self.graph.inputs[0].shape
        if not self.host.nodes:  # the first quantizer is elementwise: the whole batch at once
            return self.host.codes(x).reshape((x.shape[0], *shape))
        rows = [self.host.codes(x[i : i + 1]).reshape(shape) for i in range(x.shape[0])]
        return np.stack(rows) if rows else np.zeros((0, *shape), np.int64)


def import_qonnx(
    model: str | Path | bytes | Any, input_quant: InputQuant | str | None = None
) -> ImportedModel:
    """Read a QONNX/ONNX model (path, bytes or ModelProto) into an ``ImportedModel``.

    ``input_quant`` declares how a float model input (one no quantizer reads) is quantized:
    an ``InputQuant`` or its text form (``parse_input_quant``: ``int8``, ``fixed<16,6>``,
    ``bits=8,signed=1,scale=1/128``). Inputs are rounded half to even and clamped to the
    code range. An input annotated with a ``finn_datatype`` (INT8, BIPOLAR, ...) needs none.
    """
    if isinstance(input_quant, str):
        input_quant = parse_input_quant(input_quant)
    onnx_model = load_model(model)
    walker = Walker(onnx_model, input_quant)
    walker.run()
    return _finish(onnx_model, walker)


def _finish(m: OnnxModel, w: Walker) -> ImportedModel:
    if w.first is None or w.input_value is None:
        raise FrontendError(unquantized_input(m.input_name, "the output"))
    if len(m.outputs) != 1:
        raise FrontendError(f"model: must have one output, not {len(m.outputs)}")
    out = w.env.get(m.outputs[0])
    if not isinstance(out, Act):
        raise FrontendError(f"model output {m.outputs[0]!r}: must be computed from the input")
    if out.slope is not None:
        raise FrontendError(
            f"model output {m.outputs[0]!r}: a LeakyRelu/PRelu must be followed by a quantizer"
        )
    if out.clipped:
        raise FrontendError(
            f"model output {m.outputs[0]!r}: must be affine per channel; a Relu/Clip at the end "
            "is not supported"
        )
    if out.value.name == w.input_value.name:
        raise FrontendError("model: must contain at least one layer after the input quantizer")
    tail = w.tails.get(m.outputs[0])
    name = out.value.name
    scale = Scale(out.mul, out.add)
    graph = Graph("nn", (w.input_value,), tuple(w.nodes), (name,), ((name, scale),))
    try:
        graph = verify(infer_types(graph), "nn")
    except StreamfoldError as e:
        raise FrontendError(f"model: the converted graph is not valid: {e}") from None
    host = HostProgram(m.input_name, tuple(w.host_nodes), w.first, m.constants)
    return ImportedModel(graph, host, m.input_shape, tail, out.layout)
