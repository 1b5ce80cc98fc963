"""DesignPoint JSON and its errors."""

from __future__ import annotations

import pytest

from streamfold.dse.design_point import DesignPoint, folding_preset
from streamfold.errors import FoldingError
from streamfold.flow import as_graph, to_kernels
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.registry import block_of


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
        (
            '{"nodes": {"fc1": {"fifo_depth": -1}}}',
            r"^fc1: fifo_depth must be an integer >= 0 \(0: no FIFO\), not -1$",
        ),
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


def test_fifo_depth_zero_means_no_fifo_and_one_is_refused() -> None:
    from dataclasses import replace

    from streamfold.codegen.top import stitch
    from streamfold.dse.design_point import check_design, folding_preset
    from streamfold.ir.dtypes import IntType
    from streamfold.ir.graph import Graph, Node, Value
    from streamfold.ir.ops import IntArray, Mvau
    from streamfold.transforms.infer_types import infer_types

    w = IntArray([[1, -2, 3, 1], [0, 1, -1, 2]])
    x = Value("x", IntType(2, False), (4,))
    nodes = (
        Node("fc1", Mvau(w, IntType(3, True), None), ("x",), Value("fc1", IntType(32, True), (2,))),
        Node("fc2", Mvau(IntArray([[1, -1]]), IntType(2, True), None), ("fc1",),
             Value("fc2", IntType(32, True), (1,))),
    )  # fmt: skip
    graph = infer_types(Graph("hw", (x,), nodes, ("fc2",), ()))
    point = folding_preset(graph, "folded")
    first = point.nodes[0][0]
    no_fifo = DesignPoint(((first, replace(point.folding(first), fifo_depth=0)), *point.nodes[1:]))
    kinds = [s.kind for s in stitch(graph, no_fifo).stages]
    assert kinds == ["kernel", "kernel", "fifo"]  # the top's output keeps its FIFO
    one = DesignPoint(((first, replace(point.folding(first), fifo_depth=1)), *point.nodes[1:]))
    with pytest.raises(FoldingError, match=r"fifo_depth must be 0 \(no FIFO\) or >= 2, not 1$"):
        check_design(graph, one)


def test_cycles_preset_puts_memories_in_the_asked_style_where_blocks_have_it() -> None:
    """``cycles=N`` with block RAM: the 1-D peak detector's pads and windows have no block-RAM
    option (no memory) and keep theirs; every block with a memory takes block RAM."""
    graph = to_kernels(as_graph("builtin:peaks-w4a4"))
    point = folding_preset(graph, "cycles=640", MemStyle.BLOCK)
    styles = {}
    for node in graph.nodes:
        block = block_of(node)
        offered = {f.mem_style for f in block.foldings(block.params(graph, node))}
        styles[node.name] = (offered, point.folding(node.name).mem_style)
    assert any(MemStyle.BLOCK not in offered for offered, _ in styles.values())
    assert any(MemStyle.BLOCK in offered for offered, _ in styles.values())
    for name, (offered, chosen) in styles.items():
        assert chosen in offered, name
        if MemStyle.BLOCK in offered:
            assert chosen is MemStyle.BLOCK, name
