"""Each matrix unit of a held-out design (bench/heldout_designs.py) synthesised on its own:
the MVAU resource estimate against Yosys, per stage, to find which layer a whole-design miss
comes from.

    .venv/bin/python bench/mvau_stages.py DESIGN [--family xilinx7 ecp5] [--nodes NAME ...]
        [--cache build/stages]

DESIGN selects the designs whose "name|folding" contains it (case-insensitive), e.g.
``peaks-W2A2`` or ``"TFC-W1A1|PE/SIMD 16/49"``. Each unit is ``hw.mvau.rtl.instance`` of its
parameters and folding (mmv 1), synthesised by ``synthesize_instance`` (cached as JSON under
``--cache``); the estimate is ``hw.mvau.cost.resources``, the one the design's total sums.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from heldout_designs import DESIGNS, Design
from streamfold.cost.devices import Family
from streamfold.hw.block import NodeFolding
from streamfold.hw.mvau import cost
from streamfold.hw.mvau.params import MvauParams, params_of
from streamfold.hw.mvau.rtl import instance
from streamfold.ir.ops import Mvau
from streamfold.synth.yosys import synthesize_instance


def measured(
    params: MvauParams, folding: NodeFolding, family: Family, path: Path
) -> dict[str, int]:
    """Yosys resources of the unit alone (cached beside ``path``, its work directory)."""
    result = path.with_suffix(".json")
    if result.is_file():
        got: dict[str, int] = json.loads(result.read_text())
        return got
    start = time.time()
    r = synthesize_instance(instance(params, folding, "st"), family, path)
    got = {**r.resources.to_json(), "seconds": round(time.time() - start)}
    result.write_text(json.dumps(got) + "\n")
    return got


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("design")
    p.add_argument("--family", nargs="+", default=["xilinx7"], choices=[f.value for f in Family])
    p.add_argument("--nodes", nargs="*", help="only these matrix units")
    p.add_argument("--cache", default="build/stages")
    args = p.parse_args()
    cache = Path(args.cache).resolve()
    print(
        "| design | family | unit | shape | types | PE/SIMD, memory | LUT est/Yosys | FF est/Yosys "
        "| LUTRAM |\n|---|---|---|---|---|---|---:|---:|---:|"
    )
    for d in DESIGNS:
        if args.design.lower() not in f"{d.name}|{d.folding}".lower():
            continue
        graph = d.graph()
        point = dict(d.point(graph).nodes)
        for node in graph.nodes:
            if not isinstance(node.op, Mvau) or (args.nodes and node.name not in args.nodes):
                continue
            params, f = params_of(graph, node), point[node.name]
            folding = NodeFolding(f.pe, f.simd, f.mem_style)
            out = (
                "multiply-shift " + str(params.out_dtype)
                if params.multiplier
                else (f"{params.n_thresholds} thresholds" if params.n_thresholds else "accumulator")
            )
            types = f"{params.in_dtype} x {params.weight_dtype}, {out}"
            for family in (Family(v) for v in args.family):
                got = measured(params, folding, family, cache / family.value / _slug(d, node.name))
                est = cost.resources(params, folding, family)
                cells = [_error(getattr(est, r), got[r]) for r in ("lut", "ff")]
                shape = f"{params.in_features} x {params.out_features}"
                style = f"{f.pe}/{f.simd}, {f.mem_style.value}"
                print(
                    f"| {d.name} | {family.value} | {node.name} | {shape} | {types} | {style} | "
                    f"{' | '.join(cells)} | {est.lutram}/{got['lutram']} |",
                    flush=True,
                )


def _slug(d: Design, node: str) -> str:
    folding = d.folding.replace(" ", "").replace("/", "-").replace(",", "_")
    return f"{d.name}_{folding}_{node}"


def _error(estimate: int, yosys: int) -> str:
    return f"{estimate}/{yosys} ({100 * (estimate - yosys) / max(yosys, 1):+.0f} %)"


if __name__ == "__main__":
    main()
