"""Predicted Fmax of a design on a device family, from its blocks' critical-path features.

Every stage of a design offers one or more candidate paths between registers, each of a
``PathKind`` with a size ``x`` in that kind's unit:

- ``lut_rom``: a weight/threshold memory in LUTs (distributed or registers): the address
  incrementer and the read mux. Yosys synth_ecp5 builds each output bit's read as its own mux
  tree over ``depth / 64`` leaves (a LUT4 + PFUMX + L6MUX21, a LUT6 of two slices, reads 64
  words), whatever the width: ROMs of 512 x 16, 2,048 x 4 and 8,192 x 1 words all take about
  950 LUT4, with 9, 12 and 15 cells on their longest paths (1.5 cells per doubling of the
  depth), 32,768 x 2 words 18 cells (``bench/ecp5_lut_rom.py``). The path's wires cross that
  tree's area (nextpnr: 5.8 ns of routing at 2,048 words, 11.2 ns at 50,176), so its delay
  grows with the side of the square of its leaves, faster than with its levels:
  ``x = sqrt(max(depth_words, 64) / 64) - 1`` (0 for one LUT6);
- ``bram``: a memory in block RAM read unregistered into logic (sf_vvau, sf_thresholding): the
  DP16KD's clock-to-output (its output register unused) and the LUT mux selecting among
  ``2**x`` blocks stacked in depth, then the first datapath step;
- ``bram_registered``: the same read registered (sf_mvau's operand register, OPR), which on
  ECP5 ``synth.bram_outreg`` moves into the DP16KD's output register: the path starts at
  that register and ends after the select of a banked weight row (``hw.mvau.params``), whose
  inputs come from every block of the banks one select step reads: ``x = log2(banks per
  step)`` (at most ``BANK_GROUP``), or, without banks, the ``2**x`` blocks stacked in depth;
- ``datapath``: the MVAU/VVAU control (fold counters, input buffer enables), a product and
  one adder-tree level (the tree is registered per level, so SIMD does not lengthen it): ``x = 0``;
- ``enable``: an MVAU that replays its input word (NF > 1): the replay select (``replay_q``)
  drives a mux in front of every bit of the word, and with one word per frame (SF = 1) the
  credit count's and the stream's valid's logic drives the enable of the one-word buffer's
  flip-flops; either net fans out over the unit's datapath (nextpnr: 6.5 of 7.7 ns routing at
  512 bits, 7.2 of 8.4 at 1,024). ``x = sqrt(bits / 64)``: the side of the square of the
  word's bits, as ``lut_rom`` (``bench/fmax_ecp5.py``: the wide MLPs);
- ``swg``: the sliding window's address and control logic, also inside a max pool
  (``x = 0``);
- ``glue``: FIFOs, width converters, forks and the small kernels (``x = 0``).

A path's delay is ``base_ns + per_unit_ns * x``; the design's Fmax is 1000 / the longest.
The constants are per family in ``fmax_<family>.json`` beside this module, each with the run
that produced it (``bench/fmax_ecp5.py --fit``: nextpnr-ecp5 on LFE5U-85F) or, for a kind no
fit design had on its critical path, the assumption it rests on.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamfold.cost.devices import Device, Family
from streamfold.cost.resources import BRAM18_SHAPES
from streamfold.design import Design, Stage
from streamfold.errors import StreamfoldError
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.maxpool import cost as maxpool_cost
from streamfold.hw.maxpool.params import MaxPoolParams
from streamfold.hw.mvau.params import BANK_GROUP, MvauParams, weight_banks
from streamfold.hw.registry import block_of
from streamfold.hw.swg.params import SwgParams
from streamfold.hw.thresholding.params import ThresholdingParams
from streamfold.hw.vvau.params import VvauParams

HERE = Path(__file__).resolve().parent
LUT6_WORDS = 64  # an ECP5 LUT4 pair + PFUMX + L6MUX21 reads 64 words (FPGA-DS-02012 2.2)


class PathKind(enum.Enum):
    LUT_ROM = "lut_rom"
    BRAM = "bram"
    BRAM_REGISTERED = "bram_registered"
    DATAPATH = "datapath"
    ENABLE = "enable"
    SWG = "swg"
    GLUE = "glue"


@dataclass(frozen=True)
class TimingPath:
    """One candidate critical path of a stage."""

    stage: str
    kind: PathKind
    x: float  # its size in the kind's unit (see the module docstring)


@dataclass(frozen=True)
class Coefficients:
    base_ns: float
    per_unit_ns: float
    source: str  # the run that produced them, or the assumption they rest on


@dataclass(frozen=True)
class FmaxModel:
    family: Family
    device: str  # the part the constants were measured on
    paths: dict[PathKind, Coefficients]

    def delay_ns(self, path: TimingPath) -> float:
        c = self.paths[path.kind]
        return c.base_ns + c.per_unit_ns * path.x


@dataclass(frozen=True)
class FmaxPrediction:
    fmax_mhz: float
    critical: TimingPath
    delay_ns: float
    model: FmaxModel


# ------------------------------------------------------------------------------- features
def design_paths(design: Design) -> tuple[TimingPath, ...]:
    """Every stage's candidate paths, in stream order."""
    out: list[TimingPath] = []
    for stage in design.stages:
        out += stage_paths(design, stage)
    return tuple(out)


def stage_paths(design: Design, stage: Stage) -> list[TimingPath]:
    if stage.kind != "kernel":
        return [TimingPath(stage.name, PathKind.GLUE, 0.0)]
    node = design.graph.node(stage.node)
    params = block_of(node).params(design.graph, node)
    folding = design.point.folding(node.name)
    if isinstance(params, SwgParams | MaxPoolParams):  # sf_maxpool reads through an sf_swg
        out = [TimingPath(stage.name, PathKind.SWG, 0.0)]
        if folding.mem_style is MemStyle.BLOCK:  # read into rdata_r: the output register
            out.append(TimingPath(stage.name, PathKind.BRAM_REGISTERED, 0.0))
        if folding.mem_style is MemStyle.DISTRIBUTED:  # LUT RAM read at a registered address (ARG)
            depth = maxpool_cost.window_buffer_words(params, folding)
            out.append(TimingPath(stage.name, PathKind.LUT_ROM, lut_rom_span(depth)))
        return out
    memories = memory_shapes(params, folding)
    if not memories:
        return [TimingPath(stage.name, PathKind.GLUE, 0.0)]
    registered = isinstance(params, MvauParams)  # sf_mvau's operand register (OPR)
    out = [_memory_path(stage.name, d, w, folding.mem_style, registered) for d, w in memories]
    if isinstance(params, MvauParams):
        banks = weight_banks(params, folding)[0]  # 1 unless in block RAM
        if banks > 1:  # the bank select: each step reads up to BANK_GROUP banks' blocks
            step = math.log2(min(banks, BANK_GROUP))
            out.append(TimingPath(stage.name, PathKind.BRAM_REGISTERED, step))
    if isinstance(params, MvauParams | VvauParams):
        out.append(TimingPath(stage.name, PathKind.DATAPATH, 0.0))
    if isinstance(params, MvauParams):
        bits = replay_word_bits(params, folding)
        if bits:
            out.append(TimingPath(stage.name, PathKind.ENABLE, math.sqrt(bits / ENABLE_BITS)))
    return out


ENABLE_BITS = 64  # the unit of an ``enable`` path's size (module docstring)


def replay_word_bits(params: MvauParams, folding: NodeFolding) -> int:
    """Bits of the input word sf_mvau replays (NF > 1; 0 otherwise): the fan-out of its replay
    select and, with SF = 1, of its one-word buffer's write enable."""
    nf = params.out_features // folding.pe
    return folding.simd * params.in_dtype.bits if nf > 1 else 0


def memory_shapes(params: object, folding: NodeFolding) -> list[tuple[int, int]]:
    """(depth words, width bits) of a block's weight and threshold memories (the RTL's
    layout: one word per fold, all PE x SIMD lanes side by side; sf_mvau's block-RAM weight
    memory deeper than one block in banks side by side, ``hw.mvau.params.weight_banks``)."""
    pe, simd = folding.pe, folding.simd
    out = []
    if isinstance(params, MvauParams):
        wbits = params.weight_dtype.bits
        banks, rows = weight_banks(params, folding)
        out.append((rows, banks * pe * simd * wbits))
        rows = params.out_features
    elif isinstance(params, VvauParams):
        wbits = params.weight_dtype.bits
        out.append(((params.kernel // simd) * (params.channels // pe), pe * simd * wbits))
        rows = params.channels
    elif isinstance(params, ThresholdingParams):
        rows = params.channels
    else:
        return []
    thresholds = getattr(params, "thresholds", None)
    if thresholds is not None and thresholds.shape[0] > 1:  # one row for all: constants
        acc = getattr(params, "acc_dtype", None) or params.in_dtype
        out.append((rows // pe, pe * thresholds.shape[1] * acc.bits))
    return out


def _memory_path(
    stage: str, depth: int, width: int, style: MemStyle, registered: bool
) -> TimingPath:
    if style is MemStyle.BLOCK:
        kind = PathKind.BRAM_REGISTERED if registered else PathKind.BRAM
        return TimingPath(stage, kind, math.log2(bram_depth_blocks(depth, width)))
    return TimingPath(stage, PathKind.LUT_ROM, lut_rom_span(depth))


def lut_rom_span(depth: int) -> float:
    """The side, in 64-word LUT6 leaves less the first, of the square over which Yosys
    synth_ecp5 lays one output bit's read tree of a ``depth``-word LUT ROM (module docstring)."""
    return math.sqrt(max(depth, LUT6_WORDS) / LUT6_WORDS) - 1.0


def bram_depth_blocks(depth: int, width: int) -> int:
    """Block RAMs stacked in depth (read through a select mux) at the deepest of the cheapest
    aspect ratios (``cost.resources.bram18`` counts them; DP16KD has RAMB18's shapes). Yosys
    synth_ecp5 takes the deepest: 1,024 x 36 as two 1K x 18 side by side, 8,192 x 18 as
    2K x 9 blocks four deep."""
    cost = {s: math.ceil(depth / s[0]) * math.ceil(width / s[1]) for s in BRAM18_SHAPES}
    deepest = max(d for (d, w), c in cost.items() if c == min(cost.values()))
    return math.ceil(depth / deepest)


# ------------------------------------------------------------------------------- model
def model_path(family: Family) -> Path:
    return HERE / f"fmax_{family.value.replace('+', 'p')}.json"


def load_model(family: Family) -> FmaxModel | None:
    """The family's fitted model, or None where none was fitted (no open place and route)."""
    return _load(family, "paths")


def load_priors(family: Family) -> FmaxModel | None:
    """The assumptions a fit starts from: a kind's slope where the fit designs have one size
    of it, a kind's constants where no fit design had it on its critical path."""
    return _load(family, "priors")


def _load(family: Family, section: str) -> FmaxModel | None:
    path = model_path(family)
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    paths = {
        PathKind(k): Coefficients(float(v["base_ns"]), float(v["per_unit_ns"]), str(v["source"]))
        for k, v in data[section].items()
    }
    missing = set(PathKind) - set(paths)
    if missing:
        names = sorted(k.value for k in missing)
        raise StreamfoldError(f"{path}: {section} must cover every kind, not miss {names}")
    return FmaxModel(family, str(data["device"]), paths)


def predict_fmax(paths: Sequence[TimingPath], model: FmaxModel) -> FmaxPrediction:
    if not paths:
        raise StreamfoldError("predict_fmax: a design must have at least one stage, not none")
    worst = max(paths, key=model.delay_ns)
    delay = model.delay_ns(worst)
    return FmaxPrediction(1000.0 / delay, worst, delay, model)


def design_fmax(design: Design, dev: Device) -> FmaxPrediction | None:
    """The predicted Fmax of ``design`` on ``dev``'s family; None without a fitted model."""
    model = load_model(dev.family)
    return None if model is None else predict_fmax(design_paths(design), model)


# ------------------------------------------------------------------------------- fitting
# A fit weighs each measured delay against the prior of its kind: a measured delay is known to
# about DATA_SD_NS (placement noise between designs), a prior's base to BASE_SD_NS and its slope
# to SLOPE_SD_NS (MAP estimate, Gaussian prior): with one measured size the slope stays near
# the prior's, with several the data decide.
DATA_SD_NS = 0.25
BASE_SD_NS = 2.0
SLOPE_SD_NS = 0.5


@dataclass(frozen=True)
class FitPoint:
    """A placed design: its paths, the measured Fmax, and the stage and kind its measured
    critical path lies in (from nextpnr's cell names)."""

    name: str
    paths: tuple[TimingPath, ...]
    fmax_mhz: float
    stage: str
    kind: PathKind

    @property
    def delay_ns(self) -> float:
        return 1000.0 / self.fmax_mhz

    @property
    def x(self) -> float:
        return max(p.x for p in self.paths if p.stage == self.stage and p.kind is self.kind)


def fit(
    points: Sequence[FitPoint], prior: FmaxModel, source: str, rounds: int = 20
) -> dict[PathKind, Coefficients]:
    """Per kind, the prior-weighted least-squares line through the measured critical delays of
    that kind; then every other path of a fit design longer than the design's measured delay
    is added as a sample at that delay (it was not critical, so it is at most that long), until
    none is. A design bounds each (kind, size) once: its paths of one kind and size, in any
    stage, are one measurement, and those of its critical path's kind and size are that
    path's. Kinds without samples keep the prior."""
    samples: dict[PathKind, list[tuple[float, float, str]]] = {k: [] for k in PathKind}
    for p in points:
        samples[p.kind].append((p.x, p.delay_ns, p.name))
    bounded: dict[PathKind, set[str]] = {k: set() for k in PathKind}
    seen: set[tuple[str, PathKind, float]] = {(p.name, p.kind, p.x) for p in points}
    out = dict(prior.paths)
    for _ in range(rounds):
        out = {k: _line(samples[k], prior.paths[k]) for k in PathKind}
        model = FmaxModel(prior.family, prior.device, out)
        added = False
        for p in points:
            for q in p.paths:
                key = (p.name, q.kind, q.x)
                if (q.stage, q.kind) == (p.stage, p.kind) or key in seen:
                    continue
                if model.delay_ns(q) > p.delay_ns + 1e-6:
                    samples[q.kind].append((q.x, p.delay_ns, p.name))
                    bounded[q.kind].add(p.name)
                    seen.add(key)
                    added = True
        if not added:
            break
    return {k: _cited(k, out[k], points, bounded[k], prior.paths[k], source) for k in PathKind}


def _line(samples: list[tuple[float, float, str]], prior: Coefficients) -> Coefficients:
    """The (b, s) minimising sum((b + s x - y) / DATA_SD)^2 + ((b - b0) / BASE_SD)^2
    + ((s - s0) / SLOPE_SD)^2 over the samples (x, y): 2 x 2 normal equations."""
    if not samples:
        return prior
    wd, wb, ws = DATA_SD_NS**-2, BASE_SD_NS**-2, SLOPE_SD_NS**-2
    n = len(samples)
    sx = sum(x for x, _, _ in samples)
    sxx = sum(x * x for x, _, _ in samples)
    sy = sum(y for _, y, _ in samples)
    sxy = sum(x * y for x, y, _ in samples)
    a11, a12, a22 = wd * n + wb, wd * sx, wd * sxx + ws
    r1, r2 = wd * sy + wb * prior.base_ns, wd * sxy + ws * prior.per_unit_ns
    det = a11 * a22 - a12 * a12
    base, slope = (r1 * a22 - a12 * r2) / det, (a11 * r2 - a12 * r1) / det
    return Coefficients(round(base, 3), round(slope, 3), prior.source)


def _cited(
    kind: PathKind,
    c: Coefficients,
    points: Sequence[FitPoint],
    bounded: set[str],
    prior: Coefficients,
    source: str,
) -> Coefficients:
    critical = [p.name for p in points if p.kind is kind]
    if not critical and not bounded:
        return prior
    parts = []
    if critical:
        parts.append(f"critical in {', '.join(critical)}")
    if bounded:
        parts.append(f"bounded by {', '.join(sorted(bounded))}")
    how = "; ".join(parts)
    return Coefficients(c.base_ns, c.per_unit_ns, f"{source}: {how}; prior: {prior.source}")


def write_model(model: FmaxModel, priors: FmaxModel) -> Path:
    path = model_path(model.family)
    data: dict[str, Any] = {
        "family": model.family.value,
        "device": model.device,
        "paths": _coefficients_json(model),
        "priors": _coefficients_json(priors),
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def _coefficients_json(model: FmaxModel) -> dict[str, dict[str, float | str]]:
    return {
        k.value: {"base_ns": c.base_ns, "per_unit_ns": c.per_unit_ns, "source": c.source}
        for k, c in model.paths.items()
    }
