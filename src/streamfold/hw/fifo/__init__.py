"""sf_fifo: an AXI-Stream FIFO (``rtl``: instances of sf_fifo.v; ``cost``: cycles, latency)."""

from streamfold.hw.fifo import cost, rtl

__all__ = ["cost", "rtl"]
