"""Streaming max-pooling: FINN's SWG + Pool (max) pair, as one block."""
