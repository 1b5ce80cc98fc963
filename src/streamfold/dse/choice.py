"""A design point with its whole-design estimate (``Choice``), and whether it fits a budget:
what the searches (``dse.search``) and the ``samples=N`` ladder (``dse.samples``) compare."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from streamfold.cost.design_cost import DesignEstimate, estimate_design
from streamfold.cost.devices import Device
from streamfold.design import stitch
from streamfold.design.point import DesignPoint
from streamfold.ir.graph import Graph
from streamfold.synth.resources import Utilisation


@dataclass(frozen=True)
class Choice:
    """A design point and its whole-design estimate."""

    point: DesignPoint
    estimate: DesignEstimate
    reason: str = ""  # why the interval is not shorter

    @property
    def interval(self) -> int:
        return self.estimate.pipeline.interval

    @property
    def luts(self) -> int:
        return self.estimate.total.lut

    @property
    def frames_per_second(self) -> float:
        return self.estimate.frames_per_second

    @property
    def samples(self) -> int:
        """Samples (pixels) per word: the largest mmv of the point (docs/mmv.md)."""
        return max(f.mmv for _, f in self.point.nodes)


def whole_choice(graph: Graph, point: DesignPoint, dev: Device, clock_mhz: float) -> Choice:
    """``point`` stitched on ``graph`` and estimated whole (``cost.design_cost.estimate_design``:
    kernels, converters, FIFOs, the predicted Fmax)."""
    return Choice(point, estimate_design(stitch(graph, point), dev, clock_mhz))


def over_budget(est: DesignEstimate, lut_cap: float) -> tuple[str, int, int] | None:
    """The scarcest resource over its budget: (name, used, budget), or None when it fits.

    LUTs are budgeted at ``lut_cap`` of the device; every other resource at all of it."""
    return over_utilisation(est.utilisation(), lut_cap)


def over_utilisation(util: Iterable[Utilisation], lut_cap: float) -> tuple[str, int, int] | None:
    """``over_budget`` of utilisation rows (a whole design's or its kernels' alone)."""
    worst: tuple[float, str, int, int] | None = None
    for u in util:
        budget = int(u.available * lut_cap) if u.resource.lower() == "lut" else u.available
        if u.used > budget and (worst is None or u.used / max(budget, 1) > worst[0]):
            worst = (u.used / max(budget, 1), u.resource, u.used, budget)
    return None if worst is None else worst[1:]
