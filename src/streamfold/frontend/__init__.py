"""Frontends: models from outside (PyTorch QAT, later QONNX) to nn-stage Graphs."""
