"""Simulators: the exact integer reference (``exact``); AXI-Stream word packing (``stream``);
cycle-accurate RTL simulation in Verilator (``rtl``, building with ``verilate``)."""
