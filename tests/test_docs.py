"""Every ```python block of the README, the user guide and the tutorial runs as written.

The blocks of one file run in order, in one namespace, in a fresh working directory (so
relative paths such as ``build/cnn`` land in tmp_path). A block right after the HTML comment
``<!-- slow-test -->`` (synthesis, longer training) runs only in the slow variant of its file's
test; one after ``<!-- skip-test -->`` never runs (none today: keep it that way). The notebook
``docs/tutorial.ipynb`` must hold exactly the tutorial's code (``docs/notebook.py`` writes it).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(?:<!-- (?P<mark>[a-z-]+) -->\s*\n)?```python\n(?P<code>.*?)```", re.S)


def code_blocks(path: Path) -> list[tuple[str | None, str]]:
    """(marker, code) of every ```python block of ``path``, in order."""
    return [(m["mark"], m["code"]) for m in BLOCK.finditer(path.read_text())]


def run_blocks(path: Path, cwd: Path, *, slow: bool) -> int:
    """Run the file's blocks in one namespace in ``cwd``; returns how many ran."""
    import torch

    namespace: dict[str, object] = {"__name__": "__docs__"}
    ran = 0
    old, threads = Path.cwd(), torch.get_num_threads()
    os.chdir(cwd)
    try:
        for i, (mark, code) in enumerate(code_blocks(path)):
            if mark == "skip-test" or (mark == "slow-test" and not slow):
                continue
            assert mark in (None, "slow-test", "skip-test"), f"{path.name}: unknown mark {mark}"
            exec(compile(code, f"{path.name}, python block {i + 1}", "exec"), namespace)
            ran += 1
    finally:
        os.chdir(old)
        torch.set_num_threads(threads)  # the tutorial sets one thread
    return ran


DOCS = ("README.md", "docs/user_guide.md", "docs/tutorial.md")


@pytest.mark.rtl
@pytest.mark.parametrize("name", DOCS)
def test_doc_code_blocks_run(name: str, tmp_path: Path, rtl_cache: Path) -> None:
    blocks = code_blocks(ROOT / name)
    assert blocks, f"{name} has no python blocks"
    assert not [m for m, _ in blocks if m == "skip-test"], f"{name}: a block is skipped"
    assert run_blocks(ROOT / name, tmp_path, slow=False) == len([m for m, _ in blocks if not m])


@pytest.mark.slow
@pytest.mark.rtl
@pytest.mark.synth
@pytest.mark.parametrize("name", ["docs/user_guide.md", "docs/tutorial.md"])
def test_doc_runs_in_full_with_synthesis(name: str, tmp_path: Path, rtl_cache: Path) -> None:
    path = ROOT / name
    assert "slow-test" in [m for m, _ in code_blocks(path)]
    assert run_blocks(path, tmp_path, slow=True) == len(code_blocks(path))


def test_notebook_holds_the_tutorials_code() -> None:
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from notebook import notebook  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    stored = json.loads((ROOT / "docs/tutorial.ipynb").read_text())
    assert stored == notebook(ROOT / "docs/tutorial.md"), "run: python docs/notebook.py"
    assert stored["nbformat"] == 4
    code = ["".join(c["source"]) for c in stored["cells"] if c["cell_type"] == "code"]
    assert code == [c.rstrip("\n") for _, c in code_blocks(ROOT / "docs/tutorial.md")]
