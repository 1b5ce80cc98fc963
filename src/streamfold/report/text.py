"""Plain-text tables printed by the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streamfold.flow import BuildResult
    from streamfold.simulate import SimResult


_WIDTHS = (-24, -7, 4, 5, 4, -12, 13, 8)  # negative: left-aligned


def _row(*cells: str, mmv: bool = False) -> str:
    """One row; the MMV column (pixels per word, docs/mmv.md) only when ``mmv``."""
    cells = cells if mmv else cells[:4] + cells[5:]
    widths = _WIDTHS if mmv else _WIDTHS[:4] + _WIDTHS[5:]
    return " ".join(
        c.ljust(-w) if w < 0 else c.rjust(w) for c, w in zip(cells, widths, strict=True)
    )


def build_report(result: BuildResult, clock_mhz: float) -> str:
    design, est = result.design, result.estimate
    rows = [f"wrote {result.out_dir} (top sf_top, {len(design.stages)} stages)", ""]
    mmv = any(f.mmv > 1 for _, f in design.point.nodes)
    rows.append(
        _row("stage", "kind", "PE", "SIMD", "MMV", "mem", "cycles/frame", "latency", mmv=mmv)
    )
    for stage, s in zip(design.stages, est.stages, strict=True):
        f = design.point.folding(stage.node)
        kernel = stage.kind == "kernel"
        cells = (str(f.pe), str(f.simd), str(f.mmv), f.mem_style.value) if kernel else ("",) * 4
        rows.append(_row(s.name, s.kind, *cells, str(s.cycles), str(s.latency), mmv=mmv))
    b = est.bottleneck
    rows += [
        "",
        f"initiation interval: {est.interval} cycles/frame (bottleneck: {b.name}, a {b.kind})",
        f"latency:             {est.latency} cycles",
        f"throughput:          {est.frames_per_second(clock_mhz):,.0f} frames/s "
        f"at {clock_mhz:g} MHz",
    ]
    return "\n".join(rows)


def sim_report(r: SimResult) -> str:
    rows = [f"exact reference: {r.frames} frames, outputs {tuple(r.reference.shape[1:])}"]
    if r.rtl is None:
        rows.append(
            f"predicted: {r.predicted_interval} cycles/frame, latency {r.predicted_latency} cycles"
        )
        rows.append("(add --rtl to simulate the generated RTL in Verilator)")
        return "\n".join(rows)
    assert r.measured_interval is not None and r.cycles_per_second is not None
    err = 100 * (r.measured_interval - r.predicted_interval) / r.predicted_interval
    rows += [
        f"rtl (Verilator, stall probability {r.stall:g}): outputs equal the reference bit for bit "
        f"({r.reference.size} values)",
        f"{'':<22}{'predicted':>12}{'measured':>12}",
        f"{'cycles/frame':<22}{r.predicted_interval:>12}{r.measured_interval:>12.1f}"
        f"   ({err:+.2f} %)",
        f"{'latency (cycles)':<22}{r.predicted_latency:>12}{r.measured_latency:>12}",
        f"total cycles {r.total_cycles}, simulated at {r.cycles_per_second / 1e6:.2f} M cycles/s",
    ]
    return "\n".join(rows)
