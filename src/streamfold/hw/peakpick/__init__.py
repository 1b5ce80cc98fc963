"""Peak picking: the local maxima of a 1-D score stream as a fixed list of records per frame."""
