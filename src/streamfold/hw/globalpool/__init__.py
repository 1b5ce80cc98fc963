"""FINN's GlobalAccPool: per channel, the sum over every pixel of a channels-last map."""
