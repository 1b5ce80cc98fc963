"""Standalone Requantizer (integer multiply, add, shift with round half to even, clamp) as a
PE-parallel streaming block: the IR's MulShift in hardware."""
