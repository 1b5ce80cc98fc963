"""Quantization-aware training layers: plain ``torch.nn.Module``s.

    model = nn.Sequential(
        QuantInput(8, scale=1 / 255),
        QuantLinear(784, 64, weight_bits=2), nn.BatchNorm1d(64), Requantizer(2),
        QuantLinear(64, 10, weight_bits=2),
    )

Train it like any model. In eval mode its outputs equal the exported integer graph's exactly.
"""

from streamfold.quant.branches import QuantAdd, QuantConcat
from streamfold.quant.functional import fake_quant, int_codes, round_ste, sign_ste
from streamfold.quant.layers import QuantConv1d, QuantConv2d, QuantLinear, WeightQuantizer
from streamfold.quant.qtensor import ExactValue, QTensor, exact_of
from streamfold.quant.requantizer import QuantInput, Requantizer

__all__ = [
    "ExactValue",
    "QTensor",
    "QuantAdd",
    "QuantConcat",
    "QuantConv1d",
    "QuantConv2d",
    "QuantInput",
    "QuantLinear",
    "Requantizer",
    "WeightQuantizer",
    "exact_of",
    "fake_quant",
    "int_codes",
    "round_ste",
    "sign_ste",
]
