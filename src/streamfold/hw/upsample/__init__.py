"""Nearest-neighbour upsampling by integer factors (FINN's UpsampleNearestNeighbour)."""
