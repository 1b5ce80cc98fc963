"""Multi-layer offload (MO): one run-time-configured compute engine that runs a network layer
after layer, streaming weights and activations from external memory (FINN-R's second
architecture, for networks whose weights do not fit on chip as a dataflow pipeline).

``engine`` (the engine's parameters and the memory encodings), ``compiler`` (kernel graph ->
layer descriptors + memory image), ``model`` (executes the image, bit-exact against
``sim.exact``), ``cost`` (cycles per layer and frame), ``flow`` (build directory, planning).
"""
