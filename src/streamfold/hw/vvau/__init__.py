"""VVAU: the vector-vector-activation unit (depthwise convolution per pixel)."""
