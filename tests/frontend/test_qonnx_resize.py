"""QONNX import of Resize, Upsample and DepthToSpace: every coordinate transformation and nearest
mode against onnxruntime (through the ``qonnx`` executor): accepted exactly when it repeats each
input pixel, and then equal to it; DepthToSpace in both modes; the errors."""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np
import onnx
import pytest
from test_qonnx_helpers import Net, qonnx_execute

from streamfold.errors import FrontendError
from streamfold.frontend.qonnx import import_qonnx
from streamfold.ir.ops import DepthToSpace, DepthToSpaceMode, Upsample
from streamfold.sim.exact import dequantize, run_single

COORDINATES = ("asymmetric", "half_pixel", "pytorch_half_pixel", "align_corners",
               "tf_half_pixel_for_nn")  # fmt: skip
ROUNDINGS = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def _x(shape: tuple[int, ...], n: int = 3) -> np.ndarray:
    return np.random.default_rng(0).integers(-8, 8, (n, *shape[1:])).astype(np.float32) / 2


def _resize(shape: tuple[int, ...], factors: tuple[int, ...], opset: int = 11,
            sizes: bool = False, scale: Any = 0.5, **attrs: Any) -> onnx.ModelProto:  # fmt: skip
    """x -> Quant(i5, ``scale``) -> Resize by ``factors`` on the spatial axes."""
    net = Net(shape)
    h = net.quant("x", scale, 5)
    full = [1, 1, *factors]
    if opset <= 10:
        ins = [h, net.const(np.float32(full))]
    elif sizes:
        ins = [
            h,
            "",
            "",
            net.const(np.int64([d * f for d, f in zip(shape, full, strict=True)]), np.int64),
        ]
    else:  # roi is an empty tensor (not optional before opset 13)
        ins = [h, net.const(np.float32([])), net.const(np.float32(full))]
    return net.model(net.node("Resize", ins, name="up", **attrs), opset=opset)


def _imported(model: onnx.ModelProto, x: np.ndarray) -> tuple[np.ndarray, Any]:
    imported = import_qonnx(model)
    g = imported.graph
    return dequantize(run_single(g, imported.input_codes(x)), g.scale(g.outputs[0])), g


def _repeated(x: np.ndarray, factors: tuple[int, ...]) -> np.ndarray:
    for axis, f in enumerate(factors, start=2):
        x = np.repeat(x, f, axis=axis)
    return x


@pytest.mark.parametrize(
    "ctm, rounding",
    [pytest.param(c, r, id=f"{c}-{r}") for c, r in itertools.product(COORDINATES, ROUNDINGS)],
)
def test_accepted_exactly_when_onnxruntime_repeats_pixels(ctm: str, rounding: str) -> None:
    """For factors 1-3 on a 2 x 3 map: the import refuses a combination iff onnxruntime's
    Resize does not repeat each pixel; when it accepts, its graph computes the same reals."""
    for factors in [(2, 3), (3, 1), (1, 2)]:
        shape = (1, 2, 2, 3)
        model = _resize(shape, factors, coordinate_transformation_mode=ctm, nearest_mode=rounding)
        x = _x(shape)
        ref = qonnx_execute(model, x)
        quantized = qonnx_execute(_resize(shape, (1, 1)), x)  # the Quant alone
        repeats = np.array_equal(ref, _repeated(quantized, factors))
        try:
            got, _ = _imported(model, x)
        except FrontendError as e:
            assert not repeats, (factors, str(e))
            assert "coordinate_transformation_mode=" in str(e) and "nearest_mode=" in str(e)
            continue
        assert repeats, factors
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize(
    "shape, factors, opset, sizes",
    [
        pytest.param((1, 2, 5), (3,), 11, False, id="1d-scales"),
        pytest.param((1, 3, 2, 3), (2, 2), 13, True, id="2d-sizes"),
        pytest.param((1, 2, 3, 2), (2, 3), 10, False, id="resize-10"),
    ],
)
def test_resize_forms_match_onnxruntime(
    shape: tuple[int, ...], factors: tuple[int, ...], opset: int, sizes: bool
) -> None:
    attrs = {} if opset <= 10 else {"coordinate_transformation_mode": "asymmetric",
                                    "nearest_mode": "floor"}  # fmt: skip
    model = _resize(shape, factors, opset, sizes, **attrs)
    x = _x(shape)
    got, g = _imported(model, x)
    np.testing.assert_array_equal(got, qonnx_execute(model, x))
    assert [n.op for n in g.nodes if isinstance(n.op, Upsample)] == [Upsample(factors)]


def test_default_attributes_half_pixel_round_prefer_floor_accepted() -> None:
    model = _resize((1, 2, 2, 2), (3, 3))
    x = _x((1, 2, 2, 2))
    np.testing.assert_array_equal(_imported(model, x)[0], qonnx_execute(model, x))


def test_half_pixel_symmetric_opset_19_matches_onnxruntime() -> None:
    attrs = {"coordinate_transformation_mode": "half_pixel_symmetric"}
    model = _resize((1, 2, 2, 3), (3, 2), opset=19, **attrs)
    x = _x((1, 2, 2, 3))
    np.testing.assert_array_equal(_imported(model, x)[0], qonnx_execute(model, x))


def test_factor_one_is_no_node() -> None:
    net = Net((1, 2, 2, 2))
    h = net.quant("x", 0.5, 5)
    for factors in ((1, 1), (2, 1)):
        h = net.node("Resize", [h, "", net.const(np.float32([1, 1, *factors]))])
    model = net.model(h, opset=13)
    x = _x((1, 2, 2, 2))
    got, g = _imported(model, x)
    np.testing.assert_array_equal(got, qonnx_execute(model, x))
    assert [n.op for n in g.nodes if isinstance(n.op, Upsample)] == [Upsample((2, 1))]


@pytest.mark.parametrize("opset", [7, 9])
def test_deprecated_upsample_op(opset: int) -> None:
    shape = (1, 2, 3, 2)
    net = Net(shape)
    h = net.quant("x", 0.5, 5)
    scales = [1.0, 1.0, 2.0, 3.0]
    if opset == 7:
        out = net.node("Upsample", [h], name="up", scales=scales, mode="nearest")
    else:
        out = net.node("Upsample", [h, net.const(np.float32(scales))], name="up", mode="nearest")
    model = net.model(out, opset=opset)
    x = _x(shape)
    got, g = _imported(model, x)
    np.testing.assert_array_equal(got, qonnx_execute(model, x))
    assert any(n.op == Upsample((2, 3)) for n in g.nodes)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space_matches_onnxruntime(mode: str) -> None:
    shape = (1, 12, 2, 3)
    net = Net(shape)
    model = net.model(
        net.node("DepthToSpace", [net.quant("x", 0.25, 4)], name="d2s", blocksize=2, mode=mode),
        opset=13,
    )
    x = _x(shape)
    got, g = _imported(model, x)
    np.testing.assert_array_equal(got, qonnx_execute(model, x))
    assert any(n.op == DepthToSpace(2, DepthToSpaceMode(mode)) for n in g.nodes)


def _per_channel_d2s(scales: list[float], mode: str) -> onnx.ModelProto:
    net = Net((1, 4, 2, 2))
    h = net.quant("x", np.float32(scales).reshape(1, 4, 1, 1), 4)
    return net.model(net.node("DepthToSpace", [h], name="d2s", blocksize=2, mode=mode), opset=13)


def test_depth_to_space_keeps_a_shared_per_channel_scale() -> None:
    # one output channel: its four input channels must share a scale
    model = _per_channel_d2s([0.5, 0.5, 0.5, 0.5], "CRD")
    x = _x((1, 4, 2, 2))
    np.testing.assert_array_equal(_imported(model, x)[0], qonnx_execute(model, x))


# ------------------------------------------------------------------------------- errors
def _raises(model: onnx.ModelProto, message: str) -> None:
    with pytest.raises(FrontendError, match=f"^{re.escape(message)}$"):
        import_qonnx(model)


def test_refused_combination_names_attributes() -> None:
    model = _resize((1, 2, 2, 3), (3, 3), coordinate_transformation_mode="asymmetric",
                    nearest_mode="round_prefer_floor")  # fmt: skip
    _raises(
        model,
        "node 'up' (Resize): coordinate_transformation_mode=asymmetric with "
        "nearest_mode=round_prefer_floor must repeat each input index 3 times (output 2 reading "
        "input 0), not read input 1; exact for any integer factor: asymmetric with floor, "
        "half_pixel or pytorch_half_pixel with round_prefer_floor or round_prefer_ceil",
    )


@pytest.mark.parametrize(
    "factors, attrs, message",
    [
        ((2, 2), {"mode": "linear"}, "mode must be nearest, not 'linear'"),
        ((2, 2), {"coordinate_transformation_mode": "tf_crop_and_resize"},
         "coordinate_transformation_mode must be one of asymmetric, half_pixel, "
         "half_pixel_symmetric, pytorch_half_pixel, align_corners, tf_half_pixel_for_nn, "
         "not 'tf_crop_and_resize'"),
        ((2, 2), {"nearest_mode": "nearest"}, "nearest_mode must be one of round_prefer_floor, "
         "round_prefer_ceil, floor, ceil, not 'nearest'"),
    ],
)  # fmt: skip
def test_refused_attributes(factors: tuple[int, ...], attrs: dict[str, str], message: str) -> None:
    _raises(_resize((1, 2, 2, 2), factors, **attrs), f"node 'up' (Resize): {message}")


def test_refused_scales() -> None:
    net = Net((1, 2, 2, 2))
    h = net.quant("x", 0.5, 5)
    model = net.model(
        net.node("Resize", [h, "", net.const(np.float32([1, 1, 1.5, 2]))], name="up"), opset=13
    )
    _raises(model, "node 'up' (Resize): scales must be integers >= 1, not [1.0, 1.0, 1.5, 2.0]")
    net = Net((1, 2, 2, 2))
    h = net.quant("x", 0.5, 5)
    model = net.model(
        net.node("Resize", [h, "", net.const(np.float32([1, 2, 2, 2]))], name="up"), opset=13
    )
    _raises(model, "node 'up' (Resize): the batch and channel factors must be 1, not [1, 2]")


def test_refused_sizes_not_multiples() -> None:
    net = Net((1, 2, 2, 2))
    h = net.quant("x", 0.5, 5)
    sizes = net.const(np.int64([1, 2, 3, 4]), np.int64)
    model = net.model(net.node("Resize", [h, "", "", sizes], name="up"), opset=13)
    _raises(
        model,
        "node 'up' (Resize): sizes must be integer multiples of the input shape [1, 2, 2, 2], "
        "not [1, 2, 3, 4]",
    )


def test_refused_depth_to_space_scales_that_differ() -> None:
    _raises(
        _per_channel_d2s([0.5, 0.25, 0.5, 0.5], "DCR"),
        "node 'd2s' (DepthToSpace): the input channels [0, 1, 2, 3] that become output channel 0 "
        "must share one mul, not 1/2, 1/4",
    )


def test_axes_attribute_opset_18_matches_onnxruntime() -> None:
    shape = (1, 2, 2, 3)
    net = Net(shape)
    h = net.quant("x", 0.5, 5)
    scales = net.const(np.float32([2, 3]))
    out = net.node("Resize", [h, "", scales], name="up", axes=[2, 3],
                   coordinate_transformation_mode="asymmetric", nearest_mode="floor")  # fmt: skip
    model = net.model(out, opset=18)
    x = _x(shape)
    got, g = _imported(model, x)
    np.testing.assert_array_equal(got, qonnx_execute(model, x))
    assert any(n.op == Upsample((2, 3)) for n in g.nodes)


def test_refused_keep_aspect_ratio_policy() -> None:
    net = Net((1, 2, 2, 2))
    h = net.quant("x", 0.5, 5)
    sizes = net.const(np.int64([4, 4]), np.int64)
    out = net.node("Resize", [h, "", "", sizes], name="up", axes=[2, 3],
                   keep_aspect_ratio_policy="not_larger")  # fmt: skip
    _raises(
        net.model(out, opset=18),
        "node 'up' (Resize): keep_aspect_ratio_policy must be stretch, not 'not_larger'",
    )
