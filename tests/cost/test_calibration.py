"""L4: resource estimates vs Yosys synth_xilinx, for held-out block configurations and the
whole TFC at two foldings. Slow (minutes): ``pytest -m slow tests/cost/test_calibration.py``.

Tolerances are the documented ones (docs/benchmarks.md): LUT and FF within 10 % MAPE on the
re-synthesised held-out configurations and 20 % on any one of them (the width converter's LUTs
25 % on one: its "any ratio" structure); LUTRAM, BRAM and DSP exact; whole TFC LUTs within 10 %.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from streamfold.codegen.top import stitch, write_build
from streamfold.cost import resources as res
from streamfold.cost.design_cost import estimate_design
from streamfold.cost.devices import Family, device
from streamfold.dse.design_point import folding_preset
from streamfold.errors import ToolError

pytestmark = [pytest.mark.slow, pytest.mark.synth]

ROOT = Path(__file__).resolve().parents[2]
X7 = Family.XILINX7
HELD_OUT = 3  # the first held-out configurations of each block's grid are re-synthesised
# Documented tolerances (docs/benchmarks.md), per block and resource: (MAPE over the
# re-synthesised held-out configurations, largest error of one configuration), in %.
# Target: LUT and FF MAPE <= 10 %.
TOLERANCE_PCT = {
    "mvau": {"lut": (10.0, 20.0), "ff": (10.0, 20.0)},
    "vvau": {"lut": (10.0, 20.0), "ff": (10.0, 20.0)},
    "thresholding": {"lut": (10.0, 20.0), "ff": (10.0, 20.0)},
    "fifo": {"lut": (10.0, 20.0), "ff": (10.0, 20.0)},
    "dwc": {"lut": (10.0, 25.0), "ff": (10.0, 20.0)},
    "swg": {"lut": (10.0, 20.0), "ff": (10.0, 20.0)},
    "pad": {"lut": (10.0, 20.0), "ff": (10.0, 20.0)},
    "maxpool": {"lut": (10.0, 20.0), "ff": (10.0, 20.0)},
    "globalpool": {"lut": (10.0, 20.0), "ff": (10.0, 20.0)},
    "upsample": {"lut": (10.0, 20.0), "ff": (10.0, 20.0)},
    "depthtospace": {"lut": (10.0, 20.0), "ff": (10.0, 20.0)},
    "fork": {"lut": (10.0, 20.0), "ff": (10.0, 20.0)},
    "add": {"lut": (10.0, 20.0), "ff": (10.0, 20.0)},
    "concat": {"lut": (10.0, 20.0), "ff": (10.0, 20.0)},
}
TFC_LUT_TOLERANCE_PCT = 10.0


def _calibrate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("calibrate", ROOT / "bench" / "calibrate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["calibrate"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def calibrate() -> ModuleType:
    try:
        from streamfold.synth.yosys import find_yosys

        find_yosys()
    except ToolError as e:
        pytest.skip(f"Yosys is not installed: {e}")
    return _calibrate()


@pytest.mark.parametrize("block", list(TOLERANCE_PCT))
def test_held_out_configurations_within_tolerance(
    calibrate: ModuleType, block: str, tmp_path: Path
) -> None:
    """Re-synthesise held-out configurations (not used for fitting): LUT/FF errors are
    within tolerance, LUTRAM/BRAM/DSP exact."""
    from streamfold.synth.yosys import synthesize_instance

    errors: dict[str, list[float]] = {"lut": [], "ff": []}
    for k, config in enumerate(list(calibrate.GRIDS[block]()[1])[:HELD_OUT]):
        measured = synthesize_instance(config.instance(), X7, tmp_path / str(k)).resources
        lut_f, ff_f, mems = calibrate.describe(config, X7)
        ram = res.memory_luts(mems, X7)
        est = {"lut": res.fitted(block, "lut", X7, lut_f) + ram}
        est["ff"] = res.fitted(block, "ff", X7, ff_f)
        for r in errors:
            errors[r].append(calibrate.pct_error(est[r], getattr(measured, r)))
        assert (ram, res.memory_bram(mems, X7), 0) == (
            measured.lutram,
            measured.bram,
            measured.dsp,
        ), config
    for r, (mape_max, point_max) in TOLERANCE_PCT[block].items():
        assert calibrate.mape(errors[r]) <= mape_max, (block, r, errors[r])
        assert max(abs(e) for e in errors[r]) <= point_max, (block, r, errors[r])


@pytest.mark.parametrize("folding", ["cycles=4096", "cycles=1024"])
def test_tfc_estimate_within_tolerance_of_yosys(
    calibrate: ModuleType, folding: str, tmp_path: Path
) -> None:
    from streamfold.synth.yosys import synthesize_build

    assert folding in calibrate.TFC_FOLDINGS  # the foldings docs/benchmarks.md reports
    graph = calibrate.tfc_graph(1, 1)
    design = stitch(graph, folding_preset(graph, folding))
    out = write_build(design, tmp_path / "build")
    est = estimate_design(design, device("xc7z020"), 100.0).total
    measured = synthesize_build(out, X7).resources
    err = calibrate.pct_error(est.lut, measured.lut)
    assert abs(err) <= TFC_LUT_TOLERANCE_PCT, (folding, est, measured)
