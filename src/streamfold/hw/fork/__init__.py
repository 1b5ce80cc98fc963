"""sf_fork: one stream to two, each output with its own valid (glue, like the FIFO)."""
