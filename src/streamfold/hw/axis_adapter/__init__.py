"""sf_axis_unpad / sf_axis_pad: pipeline words <-> byte-aligned AXI-Stream beats with TLAST.
Their model is ``hw.shell.layout`` (one word per beat, zero-padded to whole bytes)."""
