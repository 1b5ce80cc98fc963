"""sf_dwc: an AXI-Stream data-width converter (``rtl``: instances of sf_dwc.v; ``cost``)."""

from streamfold.hw.dwc import cost, rtl

__all__ = ["cost", "rtl"]
