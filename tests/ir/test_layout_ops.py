"""Upsample and DepthToSpace in the IR: shapes and their errors, text round trip, type
inference, and their meaning in sim.exact against onnxruntime (Resize, DepthToSpace)."""

from __future__ import annotations

import numpy as np
import pytest

from onnx_reference import depth_to_space, resize_nearest
from streamfold.errors import IRError
from streamfold.ir import (
    DepthToSpace,
    DepthToSpaceMode,
    Graph,
    IntType,
    Node,
    Upsample,
    Value,
    parse_graph,
    print_graph,
    verify,
)
from streamfold.ir.shapes import output_shape
from streamfold.sim.exact import run_single
from streamfold.transforms.infer_types import infer_types

u4, i3 = IntType(4, False), IntType(3, True)


def test_output_shapes() -> None:
    assert output_shape(Upsample((2, 3)), (4, 5, 6)) == (4, 10, 18)
    assert output_shape(Upsample((3,)), (2, 7)) == (2, 21)
    assert output_shape(DepthToSpace(2, DepthToSpaceMode.CRD), (12, 3, 5)) == (3, 6, 10)
    assert output_shape(DepthToSpace(3, DepthToSpaceMode.DCR), (9, 1, 2)) == (1, 3, 6)


@pytest.mark.parametrize(
    "op, shape, message",
    [
        (Upsample((2,)), (4, 5, 6), r"^Upsample: scale must be 2 integers >= 1 for input "
         r"\(4, 5, 6\), not \(2,\)$"),
        (Upsample((0,)), (4, 5), r"^Upsample: scale must be 1 integers >= 1 for input \(4, 5\), "
         r"not \(0,\)$"),
        (Upsample((2,)), (4,), r"^Upsample: scale must be 0 integers >= 1 for input \(4,\), "
         r"not \(2,\)$"),
        (DepthToSpace(2, DepthToSpaceMode.DCR), (6, 3, 3), r"^DepthToSpace: input must be "
         r"\[C \* 4, H, W\], not \(6, 3, 3\)$"),
        (DepthToSpace(2, DepthToSpaceMode.DCR), (8, 3), r"^DepthToSpace: input must be "
         r"\[C \* 4, H, W\], not \(8, 3\)$"),
        (DepthToSpace(0, DepthToSpaceMode.DCR), (8, 3, 3), r"^DepthToSpace: block_size must be "
         r">= 1, not 0$"),
    ],
)  # fmt: skip
def test_shape_errors_name_op_and_value(op: object, shape: tuple[int, ...], message: str) -> None:
    with pytest.raises(IRError, match=message):
        output_shape(op, shape)  # type: ignore[arg-type]


def _graph(dtype: IntType = i3) -> Graph:
    nodes = (
        Node("d2s", DepthToSpace(2, DepthToSpaceMode.CRD), ("x",), Value("d2s", dtype, (2, 6, 4))),
        Node("up", Upsample((2, 3)), ("d2s",), Value("up", dtype, (2, 12, 12))),
    )
    return Graph("nn", (Value("x", i3, (8, 3, 2)),), nodes, ("up",), ())


def test_text_round_trip_and_verify() -> None:
    g = verify(_graph())
    text = print_graph(g)
    assert "  mode = CRD\n" in text and "  scale = (2, 3)\n" in text
    assert parse_graph(text) == g


def test_types_pass_through() -> None:
    g = infer_types(_graph(u4))
    assert [n.output.dtype for n in g.nodes] == [i3, i3]
    verify(g)


@pytest.mark.parametrize("mode", list(DepthToSpaceMode))
def test_exact_meaning_matches_onnxruntime(
    rng: np.random.Generator, mode: DepthToSpaceMode
) -> None:
    x = rng.integers(-4, 4, size=(3, 12, 2, 3))
    g = Graph(
        "nn",
        (Value("x", i3, (12, 2, 3)),),
        (Node("d", DepthToSpace(2, mode), ("x",), Value("d", i3, (3, 4, 6))),),
        ("d",),
        (),
    )
    channels_last = np.moveaxis(x, 1, -1).reshape(3, -1)
    expected = depth_to_space(channels_last, 12, (2, 3), 2, mode.value)
    got = np.moveaxis(run_single(g, x), 1, -1).reshape(3, -1)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dims, scale", [((2, 3), (3, 2)), ((5,), (4,))])
def test_upsample_meaning_matches_onnxruntime(
    rng: np.random.Generator, dims: tuple[int, ...], scale: tuple[int, ...]
) -> None:
    x = rng.integers(-4, 4, size=(3, 2, *dims))
    out = tuple(d * f for d, f in zip(dims, scale, strict=True))
    g = Graph(
        "nn",
        (Value("x", i3, (2, *dims)),),
        (Node("u", Upsample(scale), ("x",), Value("u", i3, (2, *out))),),
        ("u",),
        (),
    )
    channels_last = np.moveaxis(x, 1, -1).reshape(3, -1)
    expected = resize_nearest(channels_last, 2, dims, scale)
    got = np.moveaxis(run_single(g, x), 1, -1).reshape(3, -1)
    np.testing.assert_array_equal(got, expected)
