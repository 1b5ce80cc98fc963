"""streamfold: quantized neural networks to FPGA dataflow hardware, bit-exact end to end."""

__version__ = "0.1.0"
