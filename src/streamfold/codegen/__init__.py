"""Code generation: a small typed Verilog builder and the dataflow top that stitches blocks."""
