"""The MO engine through Yosys synth_xilinx, against its estimate (``mo.resources``).

    PYTHONPATH=src .venv/bin/python bench/mo_synth.py SIMD PE [NETWORK]

Synthesises ``sf_mo_top`` (the engine behind its AXI-Lite block) with the RTL parameters of
NETWORK (a zoo name, default cnv-w1a1) compiled for ``mo.choose.network_engine(graph, SIMD,
PE)``, in build/mo-synth/<SIMD>x<PE> (YoWASP sees the working directory), and prints one
Markdown row: the parameters, Yosys's LUT / FF / RAMB18 / DSP, the estimate's and the errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamfold.flow import to_kernels
from streamfold.mo.choose import network_engine
from streamfold.mo.compiler import compile_graph
from streamfold.mo.resources import engine_resources
from streamfold.mo.rtl import ENGINE, RAM, REGS, TOP, rtl_parameters
from streamfold.synth.yosys import synthesize
from streamfold.zoo import reference_graph


def main() -> None:
    simd, pe = int(sys.argv[1]), int(sys.argv[2])
    network = sys.argv[3] if len(sys.argv) > 3 else "cnv-w1a1"
    graph = to_kernels(reference_graph(network))
    params = rtl_parameters(compile_graph(graph, network_engine(graph, simd, pe)))
    work = Path("build") / "mo-synth" / f"{simd}x{pe}"
    result = synthesize(
        "sf_mo_top", [ENGINE, RAM, REGS, TOP], family="xilinx7", workdir=work.resolve(),
        parameters=sorted(params.items()), timeout_s=7200,
    )  # fmt: skip
    got, est = result.resources, engine_resources(params)
    shown = ", ".join(f"{k} {v}" for k, v in params.items() if k not in ("SIMD", "PE"))
    print(
        f"| SIMD {simd} x PE {pe} | {shown} | {got.lut:,} / {got.ff:,} / {got.bram} / {got.dsp} "
        f"| {est.lut:,} / {est.ff:,} / {est.bram} / {est.dsp} "
        f"| {100 * (est.lut / got.lut - 1):+.1f} % / {100 * (est.ff / got.ff - 1):+.1f} % "
        f"| {result.seconds:.0f} s |"
    )


if __name__ == "__main__":
    main()
