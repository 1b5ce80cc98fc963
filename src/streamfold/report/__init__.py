"""Reports: text tables for the CLI (JSON and HTML reports later)."""
