"""DepthToSpace (ONNX; PyTorch's PixelShuffle in CRD mode): channel blocks become pixel blocks."""
