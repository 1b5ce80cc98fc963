"""Reading an ONNX/QONNX file into plain records: nodes with typed attribute access, constants."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.errors import FrontendError

Array = npt.NDArray[Any]

STANDARD_DOMAINS = ("", "ai.onnx")
QONNX_DOMAINS = (
    "onnx.brevitas",
    "qonnx.custom_op.general",
    "finn.custom_op.general",
    "finn",
    "qonnx",
)
MAX_INPUT_ELEMENTS = 1 << 24
QONNX_OPS = ("Quant", "IntQuant", "BipolarQuant", "Trunc", "MultiThreshold")


@dataclass(frozen=True)
class OnnxNode:
    """One ONNX node: names, op type and its attributes as Python values."""

    name: str
    op_type: str
    domain: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: dict[str, Any]
    version: int = 1  # the opset version of the node's domain (Trunc v1/v2 differ by it)

    @property
    def where(self) -> str:
        return f"node {self.name!r} ({self.op_type})"

    def attr_int(self, key: str, default: int | None = None) -> int:
        v = self.attrs.get(key, default)
        if not isinstance(v, int | np.integer) or isinstance(v, bool):
            raise FrontendError(f"{self.where}: attribute {key} must be an integer, not {v!r}")
        return int(v)

    def attr_float(self, key: str, default: float | None = None) -> float:
        v = self.attrs.get(key, default)
        if not isinstance(v, int | float | np.number) or not math.isfinite(float(v)):
            raise FrontendError(f"{self.where}: attribute {key} must be a finite number, not {v!r}")
        return float(v)

    def attr_str(self, key: str, default: str) -> str:
        v = self.attrs.get(key, default)
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        if not isinstance(v, str):
            raise FrontendError(f"{self.where}: attribute {key} must be a string, not {v!r}")
        return v

    def attr_ints(self, key: str, default: tuple[int, ...] = ()) -> list[int]:
        v = self.attrs.get(key, default)
        if not isinstance(v, list | tuple) or not all(isinstance(i, int) for i in v):
            raise FrontendError(f"{self.where}: attribute {key} must be integers, not {v!r}")
        return [int(i) for i in v]


@dataclass(frozen=True)
class OnnxModel:
    """The parts of a ModelProto the importer reads."""

    nodes: tuple[OnnxNode, ...]
    constants: dict[str, Array]
    input_name: str
    input_shape: tuple[int, ...]
    outputs: tuple[str, ...]
    input_datatype: str | None = None  # the input's ``finn_datatype`` annotation, if any


def load_model(model: Any) -> OnnxModel:
    """Parse a path, bytes or ModelProto; every malformed input is a FrontendError."""
    import onnx

    proto = _proto(model, onnx)
    try:
        return _read(proto)
    except FrontendError:
        raise
    except Exception as e:  # protobuf/numpy conversion failures of a malformed file
        raise FrontendError(f"model: must be a well-formed ONNX graph: {e}") from None


def _proto(model: Any, onnx: Any) -> Any:
    if isinstance(model, onnx.ModelProto):
        return model
    try:
        if isinstance(model, bytes):
            return onnx.load_model_from_string(model)
        path = Path(model)
        if not path.is_file():
            raise FrontendError(f"{path}: must be an ONNX file")
        return onnx.load(str(path))
    except FrontendError:
        raise
    except Exception as e:
        raise FrontendError(f"model: must be a readable ONNX protobuf: {e}") from None


def _read(proto: Any) -> OnnxModel:
    from onnx import helper, numpy_helper

    g = proto.graph
    constants: dict[str, Array] = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    opsets = {o.domain: int(o.version) for o in proto.opset_import}
    nodes = []
    for i, n in enumerate(g.node):
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        name = n.name or (n.output[0] if n.output else f"node{i}")
        version = opsets.get(n.domain, opsets.get("ai.onnx" if not n.domain else n.domain, 1))
        node = OnnxNode(name, n.op_type, n.domain, tuple(n.input), tuple(n.output), attrs, version)
        if n.op_type == "Constant" and n.domain in STANDARD_DOMAINS:
            constants[n.output[0]] = _constant_value(node)
        else:
            nodes.append(node)
    inputs = [i for i in g.input if i.name not in constants]
    if len(inputs) != 1:
        names = [i.name for i in inputs]
        raise FrontendError(f"model: must have exactly one non-constant input, not {names}")
    dims = inputs[0].type.tensor_type.shape.dim
    shape = tuple(d.dim_value if d.dim_value > 0 else 1 for d in dims)
    if math.prod(shape) > MAX_INPUT_ELEMENTS:
        raise FrontendError(
            f"model input {inputs[0].name!r}: must have at most {MAX_INPUT_ELEMENTS} elements "
            f"per sample, not {math.prod(shape)}"
        )
    if not g.output:
        raise FrontendError("model: must have at least one output")
    outputs = tuple(o.name for o in g.output)
    datatype = _finn_datatype(g, inputs[0].name)
    return OnnxModel(tuple(nodes), constants, inputs[0].name, shape, outputs, datatype)


def _finn_datatype(g: Any, name: str) -> str | None:
    """The ``finn_datatype`` quantization annotation of tensor ``name`` (qonnx's first match)."""
    for ann in g.quantization_annotation:
        if ann.tensor_name == name:
            for kv in ann.quant_parameter_tensor_names:
                if kv.key == "finn_datatype":
                    return str(kv.value)
            return None
    return None


def _constant_value(node: OnnxNode) -> Array:
    from onnx import numpy_helper

    v = node.attrs.get("value")
    if v is not None and not isinstance(v, int | float | str | list):
        return numpy_helper.to_array(v)
    if "value_float" in node.attrs:
        return np.array(node.attr_float("value_float"), dtype=np.float32)
    if "value_int" in node.attrs:
        return np.array(node.attr_int("value_int"), dtype=np.int64)
    if "value_ints" in node.attrs:
        return np.array(node.attr_ints("value_ints"), dtype=np.int64)
    raise FrontendError(f"{node.where}: must hold a tensor, float or int value")
