"""Fit-aware builds: whether a design fits a device by the cost models, and presets that move
weight memories to block RAM when LUTs overflow.

A preset (``folded``, ``balanced``, ``cycles=N``) fixes PE and SIMD for throughput and one
memory style for every node; on a small device the LUT RAM of large weight memories is often
what overflows (TFC-W1A1 ``balanced`` on a 10k-LUT part: 11,916 LUTs distributed, 6,206 with
its weights in block RAM). ``fit_memory`` moves the largest memories first, keeping each move
only while block RAM lasts, until the design fits.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

from streamfold.cost.design_cost import estimate_design
from streamfold.cost.devices import Device
from streamfold.design import Design, DesignPoint, stitch
from streamfold.errors import FoldingError, ResourceError
from streamfold.hw.block import MemStyle
from streamfold.hw.registry import block_of
from streamfold.ir.graph import Graph
from streamfold.synth.resources import Resources, check_fits, utilisation

DEFAULT_DEVICE = "xc7z020"


def design_resources(design: Design, dev: Device) -> Resources:
    """The whole design's estimated resources on ``dev`` (kernels, converters, FIFOs)."""
    return estimate_design(design, dev, dev.clock_mhz).total


def fits(res: Resources, dev: Device) -> bool:
    return all(u.used <= u.available for u in utilisation(res, dev))


def check_design_fits(design: Design, dev: Device, force: bool = False) -> None:
    """ResourceError naming the scarcest resource, its estimate, the device's capacity and the
    percentage when ``design`` does not fit ``dev``; with ``force`` a warning instead."""
    try:
        check_fits(design_resources(design, dev), dev, "build")
    except ResourceError as e:
        if not force:
            raise ResourceError(f"{e} (pass --force / force=True to write it anyway)") from None
        warnings.warn(f"{e}; writing it anyway (force)", stacklevel=3)


def _weight_bits(graph: Graph, name: str) -> int:
    op = graph.node(name).op
    weight = getattr(op, "weight", None)
    dtype = getattr(op, "weight_dtype", None)
    if weight is None or dtype is None:
        return 0
    return int(weight.array.size) * int(dtype.bits)


def _block_ram_ok(graph: Graph, point: DesignPoint, name: str) -> DesignPoint | None:
    """``point`` with node ``name``'s memory in block RAM, or None where that is illegal."""
    node = graph.node(name)
    block = block_of(node)
    moved = replace(point.folding(name), mem_style=MemStyle.BLOCK)
    try:
        block.check_folding(name, block.params(graph, node), moved)
    except FoldingError:
        return None
    nodes = tuple((n, moved if n == name else f) for n, f in point.nodes)
    return replace(point, nodes=nodes)


def fit_memory(graph: Graph, point: DesignPoint, dev: Device) -> DesignPoint:
    """``point`` with weight memories moved from LUT RAM / registers to block RAM, largest
    first, until the design fits ``dev`` (module docstring); ``point`` itself when it fits
    already or when no move helps (``check_design_fits`` then says what overflows). A move
    that would overflow block RAM is skipped."""
    res = design_resources(stitch(graph, point), dev)
    if fits(res, dev):
        return point
    memories = sorted(
        (n for n, f in point.nodes if f.mem_style is not MemStyle.BLOCK),
        key=lambda n: -_weight_bits(graph, n),
    )
    best, best_lut = point, res.lut
    for name in memories:
        if _weight_bits(graph, name) == 0:
            break
        moved = _block_ram_ok(graph, best, name)
        if moved is None:
            continue
        res = design_resources(stitch(graph, moved), dev)
        if res.bram > dev.bram or res.lut > best_lut:
            continue
        best, best_lut = moved, res.lut
        if fits(res, dev):
            return best
    return best
