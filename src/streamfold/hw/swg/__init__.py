"""FINN's ConvolutionInputGenerator: the sliding-window generator (SWG) of a convolution."""
