"""FINN-R's matrix-vector-activation unit (MVAU): a folded MatMul with optional thresholds."""
