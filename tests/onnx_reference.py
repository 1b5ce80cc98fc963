"""Independent references for the layout blocks: one ONNX node run by onnxruntime on float32
NCHW tensors (small integers are exact in float32), results back as channels-last frames."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest


def run_onnx_node(node: Any, x: np.ndarray, out_rank: int, inits: list[Any]) -> np.ndarray:
    """Run one ONNX node (input "x", output "y") on the float32 NC... tensor ``x``."""
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [node],
        "ref",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * out_rank)],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    y: np.ndarray = session.run(None, {"x": x.astype(np.float32)})[0]
    return y


def to_nchw(x: np.ndarray, channels: int, dims: tuple[int, ...]) -> np.ndarray:
    """Channels-last frames (N, pixels * C) to an N, C, *dims array."""
    n = x.shape[0]
    return np.moveaxis(x.reshape(n, *dims, channels), -1, 1)


def to_frames(y: np.ndarray) -> np.ndarray:
    """An N, C, *dims array to channels-last int64 frames (N, pixels * C)."""
    return np.moveaxis(y, 1, -1).reshape(y.shape[0], -1).astype(np.int64)


def resize_nearest(x: np.ndarray, channels: int, dims: tuple[int, ...],
                   scale: tuple[int, ...]) -> np.ndarray:  # fmt: skip
    """ONNX Resize (nearest, asymmetric, floor) by integer ``scale`` on channels-last frames."""
    from onnx import helper, numpy_helper

    scales = np.array([1.0, 1.0, *scale], dtype=np.float32)
    node = helper.make_node(
        "Resize",
        ["x", "", "scales"],
        ["y"],
        mode="nearest",
        coordinate_transformation_mode="asymmetric",
        nearest_mode="floor",
    )
    inits = [numpy_helper.from_array(scales, "scales")]
    return to_frames(run_onnx_node(node, to_nchw(x, channels, dims), 2 + len(dims), inits))


def depth_to_space(x: np.ndarray, in_channels: int, dims: tuple[int, ...], block: int,
                   mode: str) -> np.ndarray:  # fmt: skip
    """ONNX DepthToSpace on channels-last frames."""
    from onnx import helper

    node = helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=block, mode=mode)
    return to_frames(run_onnx_node(node, to_nchw(x, in_channels, dims), 4, []))
