"""Cycles of the memory-mapped shell's DMA (``sf_iodma_rd`` / ``sf_iodma_wr``).

The read and write halves use separate AXI channels and run concurrently, one bus word per
cycle each when the memory answers at once; so in steady state a frame takes the longest of
the pipeline's interval, its input bus words and its output bus words. Checked against the
virtual board with an ideal memory (tests/runtime/test_accelerator.py).
"""

from __future__ import annotations

from streamfold.hw.shell.layout import ShellLayout


def cycles_per_frame(layout: ShellLayout, pipeline_interval: int) -> int:
    """Steady-state cycles per frame of the shell around a pipeline of that interval."""
    return max(pipeline_interval, layout.inp.beats, layout.out.beats)
