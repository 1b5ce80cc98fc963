"""sf_concat: channel concatenation of two streams of the same spatial size."""
