"""The pin wrapper's RTL: ``sf_pinwrap_in`` (narrow chunks to a wide word) and
``sf_pinwrap_out`` (a wide word to narrow chunks), used by ``synth.pinwrap`` to place designs
whose streams are wider than the package's pins. Not a Block: it is never part of a design."""

from pathlib import Path

SOURCES = (
    Path(__file__).with_name("sf_pinwrap_in.v"),
    Path(__file__).with_name("sf_pinwrap_out.v"),
)
