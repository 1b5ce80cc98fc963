"""The Brevitas corpus: small seeded networks exported to QONNX by the real Brevitas (no tests
here; tests/frontend/test_brevitas_corpus.py and bench/brevitas_corpus.py use them), and
the comparisons both make.

TFC is Brevitas's own ``brevitas_examples.bnn_pynq`` FC built from its ``tfc_*.ini`` (784-64-
64-64-10). CNV is FINN's CNV topology as ``brevitas_examples.bnn_pynq.models.CNV`` writes it
(six 3x3 convolutions with BatchNorm and QuantIdentity, max pools after the 2nd and 4th, two
hidden FC layers, TensorNorm), with its channels divided by ``CNV_DIVISOR`` to stay small.
Weights are uniform in [-1, 1) and BatchNorm statistics random, all from one seed.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from streamfold.frontend.qonnx import ImportedModel
from streamfold.sim.exact import dequantize, run_single

EXPORTERS = ("torchscript", "dynamo")
CNV_DIVISOR = 8
CNV_OUT_CH_POOL = ((64, False), (64, True), (128, False), (128, True), (256, False), (256, False))
SEED = 0
FRAMES = 3


@dataclass(frozen=True)
class CorpusModel:
    name: str
    make: Callable[[], nn.Module]
    input_shape: tuple[int, ...]  # one sample, no batch axis
    annotation: str | None = None  # the input's qonnx DataType instead of an input quantizer

    def sample(self, frames: int, seed: int = 1) -> np.ndarray:
        """Seeded inputs, batched: floats in [0, 1), or integers of the annotated type."""
        rng = np.random.default_rng(seed)
        shape = (frames, *self.input_shape)
        if self.annotation == "INT8":
            return rng.integers(-128, 128, shape).astype(np.float32)
        if self.annotation == "UINT8":
            return rng.integers(0, 256, shape).astype(np.float32)
        return rng.random(shape, dtype=np.float32)


def _quants() -> tuple[type, type]:
    from brevitas_examples.bnn_pynq.models.common import CommonActQuant, CommonWeightQuant

    return CommonActQuant, CommonWeightQuant


def _randomize(model: nn.Module) -> nn.Module:
    """Uniform weights in [-1, 1) and random BatchNorm statistics, seeded; eval mode."""
    g = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv1d | nn.Conv2d | nn.Linear):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) * 2 - 1)
            if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=g) * 2)
                m.running_var.copy_(torch.rand(n, generator=g) * 4 + 0.5)
                m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                m.bias.copy_(torch.randn(n, generator=g))
    return model.eval()


def tfc(weight_bits: int, act_bits: int) -> nn.Module:
    from brevitas_examples.bnn_pynq.models import model_with_cfg

    model, _ = model_with_cfg(f"tfc_{weight_bits}w{act_bits}a", pretrained=False)
    return _randomize(model)


class _Cnv(nn.Module):
    """FINN's CNV (brevitas_examples.bnn_pynq.models.CNV), channels / CNV_DIVISOR."""

    def __init__(self, weight_bits: int, act_bits: int) -> None:
        from brevitas.core.restrict_val import RestrictValueType
        from brevitas.nn import QuantConv2d, QuantIdentity, QuantLinear
        from brevitas_examples.bnn_pynq.models.tensor_norm import TensorNorm

        act, weight = _quants()
        super().__init__()
        d = CNV_DIVISOR
        self.conv_features = nn.ModuleList()
        self.conv_features.append(
            QuantIdentity(  # Q1.7 input, as CNV
                act_quant=act,
                bit_width=8,
                min_val=-1.0,
                max_val=1.0 - 2.0**-7,
                narrow_range=False,
                restrict_scaling_type=RestrictValueType.POWER_OF_TWO,
            )
        )
        in_ch = 3
        for out_ch, pool in CNV_OUT_CH_POOL:
            self.conv_features.append(
                QuantConv2d(
                    in_ch,
                    out_ch // d,
                    3,
                    bias=False,
                    weight_quant=weight,
                    weight_bit_width=weight_bits,
                )
            )
            in_ch = out_ch // d
            self.conv_features.append(nn.BatchNorm2d(in_ch, eps=1e-4))
            self.conv_features.append(QuantIdentity(act_quant=act, bit_width=act_bits))
            if pool:
                self.conv_features.append(nn.MaxPool2d(2))
        self.linear_features = nn.ModuleList()
        for fin, fout in [(256 // d, 512 // d), (512 // d, 512 // d)]:
            self.linear_features.append(
                QuantLinear(
                    fin, fout, bias=False, weight_quant=weight, weight_bit_width=weight_bits
                )
            )
            self.linear_features.append(nn.BatchNorm1d(fout, eps=1e-4))
            self.linear_features.append(QuantIdentity(act_quant=act, bit_width=act_bits))
        self.linear_features.append(
            QuantLinear(512 // d, 10, bias=False, weight_quant=weight, weight_bit_width=weight_bits)
        )
        self.linear_features.append(TensorNorm())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = 2.0 * x - torch.tensor([1.0], device=x.device)
        for mod in self.conv_features:
            x = mod(x)
        x = x.view(x.shape[0], -1)
        for mod in self.linear_features:
            x = mod(x)
        return x


def cnv(weight_bits: int, act_bits: int) -> nn.Module:
    return _randomize(_Cnv(weight_bits, act_bits))


def conv1d_net() -> nn.Module:
    """Quantized 1-D input, two Conv1d (one strided) with BatchNorm, max pool, FC."""
    from brevitas.nn import QuantConv1d, QuantIdentity, QuantLinear

    act, weight = _quants()
    return _randomize(
        nn.Sequential(
            QuantIdentity(act_quant=act, bit_width=4),
            QuantConv1d(2, 8, 5, stride=2, bias=False, weight_quant=weight, weight_bit_width=2),
            nn.BatchNorm1d(8),
            QuantIdentity(act_quant=act, bit_width=2),
            nn.MaxPool1d(2),
            QuantConv1d(8, 8, 3, padding=1, bias=False, weight_quant=weight, weight_bit_width=2),
            nn.BatchNorm1d(8),
            QuantIdentity(act_quant=act, bit_width=2),
            nn.Flatten(),
            QuantLinear(8 * 7, 4, bias=False, weight_quant=weight, weight_bit_width=2),
        )
    )


def same_padding_net() -> nn.Module:
    """Convolutions with padding='same': an even kernel pads asymmetrically (1 before, 2
    after for kernel 4), an odd one symmetrically."""
    from brevitas.nn import QuantConv2d, QuantIdentity, QuantLinear

    act, weight = _quants()
    return _randomize(
        nn.Sequential(
            QuantIdentity(act_quant=act, bit_width=4),
            QuantConv2d(2, 4, 4, padding="same", bias=False, weight_quant=weight,
                        weight_bit_width=2),
            nn.BatchNorm2d(4),
            QuantIdentity(act_quant=act, bit_width=2),
            QuantConv2d(4, 4, 3, padding="same", bias=False, weight_quant=weight,
                        weight_bit_width=2),
            nn.BatchNorm2d(4),
            QuantIdentity(act_quant=act, bit_width=2),
            nn.Flatten(),
            QuantLinear(4 * 6 * 6, 3, bias=False, weight_quant=weight, weight_bit_width=2),
        )
    )  # fmt: skip


def annotated_input_net() -> nn.Module:
    """No input quantizer: the first convolution reads the file's INT8-annotated input."""
    from brevitas.nn import QuantConv2d, QuantIdentity, QuantLinear

    act, weight = _quants()
    return _randomize(
        nn.Sequential(
            QuantConv2d(1, 4, 3, bias=False, weight_quant=weight, weight_bit_width=2),
            nn.BatchNorm2d(4),
            QuantIdentity(act_quant=act, bit_width=2),
            nn.Flatten(),
            QuantLinear(4 * 6 * 6, 3, bias=False, weight_quant=weight, weight_bit_width=2),
        )
    )


MODELS = {
    m.name: m
    for m in (
        CorpusModel("CNV-W1A1", lambda: cnv(1, 1), (3, 32, 32)),
        CorpusModel("CNV-W2A2", lambda: cnv(2, 2), (3, 32, 32)),
        CorpusModel("TFC-W1A1", lambda: tfc(1, 1), (1, 28, 28)),
        CorpusModel("TFC-W2A2", lambda: tfc(2, 2), (1, 28, 28)),
        CorpusModel("Conv1d", conv1d_net, (2, 32)),
        CorpusModel("same-pad", same_padding_net, (2, 6, 6)),
        CorpusModel("INT8-input", annotated_input_net, (1, 8, 8), "INT8"),
    )
}


def export(model: CorpusModel, exporter: str, path: Path) -> Path:
    """``model`` exported by Brevitas's QONNX exporter (``torchscript`` or ``dynamo``) to
    ``path``, its input annotated when the model says so."""
    from brevitas.export import export_qonnx

    if exporter not in EXPORTERS:
        raise ValueError(f"exporter must be one of {EXPORTERS}, not {exporter!r}")
    torch.manual_seed(SEED)
    net = model.make()
    x = torch.from_numpy(model.sample(1))
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # and the dynamo exporter's progress lines
        export_qonnx(net, x, export_path=str(path), dynamo=exporter == "dynamo")
    if model.annotation is not None:
        _annotate(path, model.annotation)
    return path


def _annotate(path: Path, datatype: str) -> None:
    from qonnx.core.datatype import DataType
    from qonnx.core.modelwrapper import ModelWrapper

    wrapper = ModelWrapper(str(path))
    wrapper.set_tensor_datatype(wrapper.graph.input[0].name, DataType[datatype])
    wrapper.save(str(path))


def cleaned(path: Path, out: Path) -> Path:
    """``path`` after qonnx's cleanup (shape inference, constant folding, tidy names), as
    qonnx and FINN users run it before anything else."""
    from qonnx.util.cleanup import cleanup

    cleanup(str(path), out_file=str(out))
    return out


def qonnx_execute(path: Path, x: np.ndarray) -> np.ndarray:
    """qonnx's executor, one frame at a time (the file's batch is 1)."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx

    wrapper = ModelWrapper(str(path))
    inp, out = wrapper.graph.input[0].name, wrapper.graph.output[0].name
    return np.concatenate([execute_onnx(wrapper, {inp: row[None]})[out] for row in x])


def assert_matches_qonnx(imported: ImportedModel, model: CorpusModel, reference: Path) -> None:
    """Output codes identical to qonnx's logits read back through the output scale; logits
    equal within float32 rounding."""
    x = model.sample(FRAMES)
    ref = qonnx_execute(reference, x).reshape(FRAMES, -1).astype(np.float64)
    graph = imported.graph
    codes = run_single(graph, imported.input_codes(x)).reshape(FRAMES, -1)
    scale = graph.scale(graph.outputs[0])
    assert scale is not None
    mul = np.array([float(m) for m in scale.mul])
    add = np.array([float(a) for a in scale.add])
    ref_codes = (ref - add) / mul
    assert np.abs(ref_codes - np.rint(ref_codes)).max() < 1e-3  # qonnx's logits are codes too
    np.testing.assert_array_equal(codes, np.rint(ref_codes).astype(np.int64))
    ours = dequantize(codes, scale).reshape(FRAMES, -1).astype(np.float64)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-5 * float(np.abs(ref).max()))


def rtl_outputs(
    imported: ImportedModel, model: CorpusModel, out_dir: Path, stall: float = 0.25
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(nn graph, kernel graph, Verilator) output codes on FRAMES seeded frames; the build
    uses the ``balanced`` folding, the simulation ``stall`` random stalls on both streams."""
    from streamfold.codegen.top import stitch, write_build
    from streamfold.dse.design_point import folding_preset
    from streamfold.flow import to_kernels
    from streamfold.sim.design import simulate_build

    kernels = to_kernels(imported.graph)
    build = write_build(stitch(kernels, folding_preset(kernels, "balanced")), out_dir)
    codes = imported.input_codes(model.sample(FRAMES, seed=2))
    expected = run_single(imported.graph, codes).reshape(FRAMES, -1)
    kernel_out = run_single(kernels, codes).reshape(FRAMES, -1)
    got, _ = simulate_build(build, codes, stall_in=stall, stall_out=stall, seed=1)
    return expected, kernel_out, got
