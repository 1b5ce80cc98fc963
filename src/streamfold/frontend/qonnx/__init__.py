"""QONNX/ONNX import: ``import_qonnx(path)`` -> an nn-stage Graph plus the host-side input step.

Semantics follow the QONNX specification as executed by the ``qonnx`` package (v1.0): Quant
rounds half to even after clamping, unsigned narrow ranges end at 2**bits - 2, a 1-bit signed
Quant is bipolar, BipolarQuant(0) = +1, MultiThreshold counts x >= t. Runs of affine float ops
(quantizer and weight scales, Mul/Add/Sub/Div by constants, BatchNormalization) fold exactly
into the next quantizer (a ``Requantize`` with exact rational mul/add, or exact integer
thresholds); the affine tail after the last quantized layer is the graph output's ``Scale``.
Anything the integer IR cannot express exactly raises ``FrontendError`` naming the node.
"""

from __future__ import annotations

from streamfold.frontend.qonnx.api import ImportedModel, import_qonnx
from streamfold.frontend.qonnx.inputs import InputQuant, parse_input_quant

__all__ = ["ImportedModel", "InputQuant", "import_qonnx", "parse_input_quant"]
