"""The object API: one object from a model to hardware.

``streamfold.compile(model, input_shape, device=..., fps=... | folding=...)`` exports (a PyTorch
model), imports (.onnx) or reads (.sfir, a build directory, ``builtin:NAME``) a network, lowers
it to hardware kernels and chooses its folding; the ``Accelerator`` it returns holds all of that
and runs every later step: ``estimate()``, ``predict(x, backend="exact" | "rtl")``,
``build(dir)``, ``simulate()``, ``synth()``, ``save(path)``. Each method calls the same library
function as the matching ``streamfold`` command (``flow``, ``simulate``, ``cost``, ``synth``),
so the API and the command line give the same designs, files and numbers.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from streamfold import validate
from streamfold.codegen.top import Design, stitch
from streamfold.cost.design_cost import DesignEstimate, estimate_design
from streamfold.cost.devices import Device, device
from streamfold.dse.design_point import point_graph
from streamfold.dse.search import DEFAULT_LUT_CAP, min_resources
from streamfold.errors import StreamfoldError
from streamfold.flow import Folding, as_graph, design_point, folded_graph, to_kernels
from streamfold.hw.block import MemStyle
from streamfold.ir.graph import Graph
from streamfold.ir.text import print_graph
from streamfold.sim.exact import dequantize, run_single
from streamfold.transforms import Lowering

if TYPE_CHECKING:
    from torch import nn

    from streamfold.dse.design_point import DesignPoint
    from streamfold.simulate import SimResult
    from streamfold.synth.implement import Implementation

__all__ = ["BACKENDS", "Accelerator", "compile"]

Codes = npt.NDArray[np.int64]
BACKENDS = ("exact", "rtl")


class Accelerator:
    """A network lowered to hardware kernels and folded for a device (``compile``).

    Attributes: ``graph`` (the network as given: nn or hw stage), ``kernels`` (its hardware
    kernel graph), ``point`` (the DesignPoint: each kernel's folding), ``design`` (kernels and
    glue stitched), ``device``, ``clock_mhz``, ``reason`` (with ``fps``: why the design is not
    faster) and ``build_dir`` (the last directory ``build`` wrote, else None).
    """

    def __init__(
        self,
        graph: Graph,
        kernels: Graph,
        point: DesignPoint,
        dev: Device,
        clock_mhz: float,
        quantize: Callable[[Any], Codes] | None = None,
        reason: str = "",
    ) -> None:
        self.graph = graph
        self.kernels = kernels
        self.point = point
        self.design: Design = stitch(kernels, point)
        self.device = dev
        self.clock_mhz = clock_mhz
        self.reason = reason
        self.build_dir: Path | None = None
        self._quantize = quantize

    def __repr__(self) -> str:
        est = self.estimate()
        return (
            f"<Accelerator {len(self.kernels.nodes)} kernels on {self.device.name}: "
            f"{est.pipeline.interval:,} cycles/frame, {est.frames_per_second:,.0f} frames/s at "
            f"{self.clock_mhz:g} MHz, {est.total.lut:,} LUT (estimated)>"
        )

    # ---------------------------------------------------------------- before hardware
    def estimate(self) -> DesignEstimate:
        """Per layer and in total: resources, cycles, frames/s and device utilisation, from
        the cost models (no tool runs); ``print`` it for the table ``streamfold estimate``
        prints, ``.to_json()`` for the numbers."""
        return estimate_design(self.design, self.device, self.clock_mhz)

    def input_codes(self, x: Any) -> Codes:
        """The hardware's integer input codes for ``x``: integer arrays are taken as codes
        (checked against the input type by ``predict``); real inputs (floats) are quantized
        by the model's input quantizer (a PyTorch model's QuantInput, an ONNX model's input
        quantization), which a graph or .sfir file does not have."""
        arr = x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)
        if np.issubdtype(arr.dtype, np.integer):
            return arr.astype(np.int64)
        if self._quantize is None:
            raise StreamfoldError(
                f"predict: x must be integer input codes for a model given as a graph or "
                f"file (it has no input quantizer), not {arr.dtype}"
            )
        return np.asarray(self._quantize(arr)).astype(np.int64)

    def predict(self, x: Any, backend: str = "exact") -> Codes:
        """Output codes ``(frames, *output shape)`` for inputs ``x`` (``(frames, *input
        shape)``, or flattened per frame; real values or integer codes, see ``input_codes``).

        ``backend="exact"``: the reference integer executor on the kernel graph (what the
        hardware computes, bit for bit). ``backend="rtl"``: the generated Verilog in Verilator
        (built into ``build_dir``, or a temporary directory when ``build`` was not called),
        checked bit for bit against the exact executor. ``dequantize`` gives real values."""
        if backend not in BACKENDS:
            raise StreamfoldError(f"predict: backend must be exact or rtl, not {backend!r}")
        codes = self.input_codes(x)
        shape = self.kernels.inputs[0].shape
        if backend == "exact":
            from streamfold.simulate import input_frames

            frames = input_frames(self.kernels, codes)
            out: Codes = run_single(self.kernels, frames)
            return out
        result = self.simulate(codes.reshape(len(codes), *shape) if codes.ndim > 1 else codes)
        assert result.rtl is not None
        return result.rtl.reshape(len(codes), *self._output_shape)

    def dequantize(self, codes: Codes) -> npt.NDArray[np.float64]:
        """The real values of output codes (the graph's exact output scale, per channel)."""
        return dequantize(codes, self.kernels.scale(self.kernels.outputs[0]))

    @property
    def _output_shape(self) -> tuple[int, ...]:
        return tuple(self.kernels.value(self.kernels.outputs[0]).shape)

    # ---------------------------------------------------------------- hardware
    def build(self, out_dir: Path | str, force: bool = False) -> Path:
        """Write the build directory (RTL, memory images, graph, design point, manifest) as
        one transaction (``codegen.build_dir``); returns its path, also kept in
        ``build_dir``. An existing ``out_dir`` is replaced only if it is a streamfold build.
        A design that does not fit ``device`` by the cost models raises ResourceError (the
        scarcest resource, its estimate, the capacity, the percentage) and writes nothing;
        ``force`` writes it anyway with a warning."""
        from streamfold.codegen.build_dir import check_target
        from streamfold.codegen.top import write_build
        from streamfold.dse.fit import check_design_fits

        check_target(Path(out_dir))
        check_design_fits(self.design, self.device, force)
        self.build_dir = write_build(self.design, Path(out_dir))
        return self.build_dir

    def simulate(
        self,
        x: Any = None,
        *,
        frames: int = 10,
        stall: float = 0.0,
        seed: int = 0,
        rtl: bool = True,
        progress: bool = False,
    ) -> SimResult:
        """``streamfold sim`` on this design: inputs ``x`` (or ``frames`` seeded random
        frames) through the exact executor and, with ``rtl``, the generated RTL in Verilator
        under random ``stall`` on both streams; the outputs (``.reference``, ``.rtl``) and
        measured against predicted cycles per frame and latency. Uses ``build_dir`` (a
        temporary build when ``build`` was not called)."""
        from streamfold.simulate import simulate_dir

        codes = None if x is None else self.input_codes(x)
        if self.build_dir is not None:
            return simulate_dir(
                self.build_dir,
                frames=frames,
                rtl=rtl,
                stall=stall,
                seed=seed,
                inputs=codes,
                progress=progress,
            )
        with tempfile.TemporaryDirectory(prefix="streamfold-") as tmp:
            built = self.build(Path(tmp) / "build")
            try:
                return simulate_dir(
                    built,
                    frames=frames,
                    rtl=rtl,
                    stall=stall,
                    seed=seed,
                    inputs=codes,
                    progress=progress,
                )
            finally:
                self.build_dir = None

    def synth(
        self,
        target: str | None = None,
        *,
        dsp: bool = False,
        bitstream: bool = False,
        clock_mhz: float | None = None,
        register_io: bool = False,
        seed: int = 1,
        seeds: int = 1,
    ) -> Implementation:
        """``streamfold synth`` on ``build_dir`` (call ``build`` first): Yosys for ``target``
        (default: the compile device), checked to fit; for ECP5 also nextpnr (Fmax) and with
        ``bitstream`` ecppack. Returns the Implementation (``.synth.resources``,
        ``.pnr.fmax_mhz``); ``streamfold.synth.implement.implementation_report`` prints it.
        ``clock_mhz`` (default: the device's) is nextpnr's target and the frames/s clock;
        ``register_io``, ``seed`` and ``seeds`` (ECP5) as ``synth --register-io --seed
        --seeds``: registered pin stages, the placement seed, and a sweep of that many."""
        from streamfold.synth.implement import implement_build

        validate.seed("synth: seed", seed)
        validate.seeds("synth: seeds", seeds)
        if self.build_dir is None:
            raise StreamfoldError(
                "synth: the design must be built first (call .build(dir)), and is not"
            )
        dev = self.device if target is None else device(target)
        return implement_build(
            self.build_dir, dev, bitstream=bitstream, dsp=dsp, clock_mhz=clock_mhz,
            register_io=register_io, seed=seed, seeds=seeds,
        )  # fmt: skip

    def report(self) -> Path:
        """Write ``report.html`` and ``report.json`` into ``build_dir`` (call ``build``
        first): per layer the folding, cycles predicted and measured (after ``simulate``
        with the RTL), resources estimated and synthesised (after ``synth``), the bottleneck
        and the plots (``streamfold.report.write_report``). Returns the HTML file's path."""
        from streamfold.report import write_report

        if self.build_dir is None:
            raise StreamfoldError(
                "report: the design must be built first (call .build(dir)), and is not"
            )
        return write_report(self.build_dir, device=self.device.name, clock_mhz=self.clock_mhz)

    def save(self, path: Path | str) -> Path:
        """Write the network's graph (as given: nn or hw stage) as text (.sfir, values in
        full), which ``compile``, ``streamfold build`` and ``streamfold show`` read back."""
        out = Path(path)
        out.write_text(print_graph(self.graph, values=True))
        return out


def compile(  # the name users expect (hls4ml, torch.compile), though it shadows a builtin
    model: nn.Module | Graph | Path | str,
    input_shape: Sequence[int] | None = None,
    *,
    device: str | Device = "xc7z020",
    fps: float | None = None,
    folding: Folding | None = None,
    clock_mhz: float = 100.0,
    input_quant: str | None = None,
    mem_style: str | MemStyle = MemStyle.DISTRIBUTED,
    lut_cap: float = DEFAULT_LUT_CAP,
    allow_slower: bool = False,
    requantize: str | Lowering | None = None,
) -> Accelerator:
    """Lower ``model`` to hardware kernels and fold it for ``device``.

    ``model``: a PyTorch model of streamfold's QAT layers (an ``nn.Sequential``, or a module
    with its own ``forward``, traced by torch.fx; ``input_shape`` per sample is then
    required), a ``Graph``, or a path: ``.sfir``, ``.onnx`` (QONNX; ``input_quant`` declares a
    float input's quantization), a build directory, or ``builtin:NAME``.

    The folding: ``fps`` asks for the fewest LUTs reaching that many frames/s at
    ``clock_mhz`` within ``lut_cap`` of the device's LUTs (``dse.min_resources``); a target
    no folding reaches is refused naming the node that limits it. Or ``folding``: a preset
    (``"folded"``, the default; ``"balanced"``; ``"cycles=N"``), a design point JSON file, a
    ``DesignPoint`` or a mapping ``{node: {"pe": 4, "simd": 8}}`` that may leave out the nodes
    the lowering generates (``*_pad``, ``*_swg``, ...: ``dse.design_point.complete_point``).
    ``cycles=N`` that no folding reaches raises FoldingError unless ``allow_slower`` (then a
    warning, and the fastest folding). ``requantize`` forces how every Requantizer is built,
    ``"thresholds"`` or ``"mulshift"`` (the multiply-shift block); by default each gets the
    cheaper on the device's family by the resource models (``dse.requantize``).
    ``mem_style`` applies to the presets, whose large weight memories move to block RAM where
    the device's LUTs overflow (``dse.fit``). A build
    directory without ``fps`` or ``folding`` keeps its own design point and is the
    accelerator's ``build_dir``."""
    if fps is not None and folding is not None:
        raise StreamfoldError("compile: give fps or folding, not both")
    graph, quantize = _graph(model, input_shape, input_quant)
    built = _build_dir(model)
    if built is not None and fps is None and folding is None:
        folding = str(built / "design_point.json")  # the build's own design point
    dev = device if not isinstance(device, str) else _device(device)
    lowering = _lowering(requantize)
    kernels = to_kernels(graph, lowering, dev.family)
    reason = ""
    if fps is not None:
        choice = min_resources(kernels, dev, fps, clock_mhz, lut_cap)
        point, reason = choice.point, choice.reason
        kernels = point_graph(kernels, point)  # a samples=N point's (docs/mmv.md)
    else:
        style = MemStyle(mem_style) if isinstance(mem_style, str) else mem_style
        kernels = folded_graph(kernels, folding or "folded")
        point = design_point(
            kernels, folding or "folded", style, allow_slower=allow_slower, dev=dev
        )
    acc = Accelerator(graph, kernels, point, dev, clock_mhz, quantize, reason)
    if built is not None and folding == str(built / "design_point.json"):
        acc.build_dir = built  # simulate and synth use it as it is
    return acc


def _build_dir(model: Any) -> Path | None:
    """``model`` when it names a build directory (``load_graph`` has verified it), else None."""
    if isinstance(model, str | Path) and not str(model).startswith("builtin:"):
        return Path(model) if Path(model).is_dir() else None
    return None


def _lowering(requantize: str | Lowering | None) -> Lowering | None:
    if not isinstance(requantize, str):
        return requantize
    names = tuple(h.value for h in Lowering)
    if requantize not in names:
        raise StreamfoldError(
            f"compile: requantize must be one of {names} or None, not {requantize!r}"
        )
    return Lowering(requantize)


def _device(name: str) -> Device:
    return device(name)


def _graph(
    model: Any, input_shape: Sequence[int] | None, input_quant: str | None
) -> tuple[Graph, Callable[[Any], Codes] | None]:
    """The network's graph, and the function quantizing its real inputs (None: unknown)."""
    if isinstance(model, Graph | str | Path):
        graph, quantize = _read(model, input_quant)
        if input_shape is not None and tuple(input_shape) != graph.inputs[0].shape:
            raise StreamfoldError(
                f"compile: input_shape must be the graph's {list(graph.inputs[0].shape)} or "
                f"left out, not {list(input_shape)}"
            )
        return graph, quantize
    from torch import nn

    if not isinstance(model, nn.Module):
        raise StreamfoldError(
            "compile: model must be a PyTorch module, a Graph, a path (.sfir, .onnx, build "
            f"directory) or builtin:NAME, not {type(model).__name__}"
        )
    if input_shape is None:
        raise StreamfoldError(
            "compile: input_shape (per sample, e.g. (1, 28, 28)) must be given for a PyTorch "
            "model, and is not"
        )
    from streamfold.frontend.torch_fx import export_module, input_codes

    graph = export_module(model, tuple(input_shape))
    return graph, lambda x: input_codes(model, x)


def _read(
    model: Graph | str | Path, input_quant: str | None
) -> tuple[Graph, Callable[[Any], Codes] | None]:
    """A graph or file's graph; an ONNX model's own input quantization (host steps
    included) as the quantizer, else None."""
    if isinstance(model, Graph) or str(model).startswith("builtin:"):
        return as_graph(model, input_quant), None
    if not (Path(model).suffix.lower() == ".onnx" and Path(model).is_file()):
        return as_graph(model, input_quant), None
    from streamfold.flow import check_model
    from streamfold.frontend.qonnx import import_qonnx

    report = check_model(model, input_quant)  # names every unsupported node
    if not report.ok:
        raise report.error()
    imported = import_qonnx(Path(model), input_quant=input_quant)
    return imported.graph, imported.input_codes
