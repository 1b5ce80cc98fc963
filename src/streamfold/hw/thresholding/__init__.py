"""Standalone multi-thresholding (FINN-R's MultiThreshold) as a PE-parallel streaming block."""
