"""sf_add: elementwise y = x0 * k0 + x1 * k1 of two streams (a residual connection's join)."""
