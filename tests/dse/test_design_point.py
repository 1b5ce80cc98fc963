"""DesignPoint JSON and its errors."""

from __future__ import annotations

import pytest

from streamfold.dse.design_point import DesignPoint
from streamfold.errors import FoldingError
from streamfold.hw.block import MemStyle, NodeFolding


def test_json_round_trip() -> None:
    dp = DesignPoint(
        (
            ("fc1", NodeFolding(pe=16, simd=49, mem_style=MemStyle.BLOCK, fifo_depth=4)),
            ("fc2", NodeFolding(pe=8, simd=8)),
        )
    )
    assert DesignPoint.from_json(dp.to_json()) == dp
    assert dp.to_json() == DesignPoint.from_json(dp.to_json()).to_json()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope", r"^design point: must be JSON"),
        ("[]", r"^design point: must be \{\"nodes\""),
        ('{"nodes": {"fc1": {"pe": 0}}}', r"^fc1: pe must be a positive integer, not 0$"),
        ('{"nodes": {"fc1": {"simd": "2"}}}', r"^fc1: simd must be a positive integer, not '2'$"),
        ('{"nodes": {"fc1": {"pes": 2}}}', r"^fc1: folding must be an object with keys among"),
        (
            '{"nodes": {"fc1": {"mem_style": "bram"}}}',
            r"^fc1: mem_style must be one of block, distributed, registers, not 'bram'$",
        ),
    ],
)
def test_bad_json_is_a_folding_error(text: str, message: str) -> None:
    with pytest.raises(FoldingError, match=message):
        DesignPoint.from_json(text)


def test_missing_node_is_named() -> None:
    with pytest.raises(FoldingError, match=r"^fc9: the design point must give a folding"):
        DesignPoint(()).folding("fc9")
