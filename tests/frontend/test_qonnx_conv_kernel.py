"""A Conv whose kernel_shape contradicts its weights is refused (onnxruntime refuses it too)."""

from __future__ import annotations

import numpy as np
import pytest
from test_qonnx_helpers import Net

from streamfold.errors import FrontendError
from streamfold.frontend.qonnx import import_qonnx


def test_conv_kernel_shape_must_match_weights() -> None:
    net = Net((1, 2, 4, 4))
    h = net.quant("x", 1.0, 4)
    w = net.const(np.ones((2, 2, 3, 3), np.float32))
    model = net.model(net.node("Conv", [h, w], name="conv", kernel_shape=[2, 2]))
    with pytest.raises(
        FrontendError, match=r"^node 'conv' \(Conv\): kernel_shape must be \[3, 3\], not \[2, 2\]$"
    ):
        import_qonnx(model)
