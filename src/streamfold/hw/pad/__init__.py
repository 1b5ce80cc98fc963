"""Streaming padding (FINN's FMPadding): a border of a constant around a channels-last map."""
