"""Host runtime: ``Accelerator(build_dir, backend="exact" | "virtual" | "pynq")``."""

from streamfold.runtime.accelerator import BACKENDS, Accelerator, Throughput

__all__ = ["BACKENDS", "Accelerator", "Throughput"]
