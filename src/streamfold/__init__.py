"""streamfold: quantized neural networks to FPGA dataflow hardware, bit-exact end to end.

``streamfold.compile(model, input_shape, device=..., fps=... | folding=...)`` returns an
``Accelerator`` (``streamfold.api``): estimate, predict, build, simulate, synthesise."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["Accelerator", "__version__", "compile"]


def __getattr__(name: str) -> Any:
    """``compile`` and ``Accelerator`` load on first use: ``import streamfold`` stays light."""
    if name in ("compile", "Accelerator"):
        from streamfold import api

        return getattr(api, name)
    raise AttributeError(f"module 'streamfold' has no attribute {name!r}")
