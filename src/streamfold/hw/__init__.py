"""Hardware blocks, one folder each, and the registry that finds them by IR op type."""
