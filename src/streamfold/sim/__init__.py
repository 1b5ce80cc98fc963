"""Simulators: the exact integer reference (``exact``); RTL simulation comes later."""
