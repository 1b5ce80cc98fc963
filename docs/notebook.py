"""Write docs/tutorial.ipynb from docs/tutorial.md: its prose as markdown cells, its ```python
blocks as code cells (no outputs), so that the notebook and the tutorial never drift apart
(tests/test_docs.py checks it). Usage: python docs/notebook.py"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BLOCK = re.compile(r"(?:<!-- [a-z-]+ -->\s*\n)?```python\n(.*?)```\n?", re.S)


def _cell(kind: str, text: str) -> dict[str, Any]:
    lines = text.strip("\n").split("\n")
    source = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    cell: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def notebook(tutorial: Path) -> dict[str, Any]:
    """The notebook (nbformat 4) of ``tutorial``."""
    text = tutorial.read_text()
    cells = []
    pos = 0
    for m in BLOCK.finditer(text):
        prose = text[pos : m.start()].strip()
        if prose:
            cells.append(_cell("markdown", prose))
        cells.append(_cell("code", m[1]))
        pos = m.end()
    if text[pos:].strip():
        cells.append(_cell("markdown", text[pos:].strip()))
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 4,
    }


if __name__ == "__main__":
    out = HERE / "tutorial.ipynb"
    out.write_text(json.dumps(notebook(HERE / "tutorial.md"), indent=1) + "\n")
    print(f"wrote {out}")
