"""A small typed Verilog builder with a deterministic emitter.

Generated glue (the top level) is built from these values and printed by ``emit``; the same
Module always gives byte-identical text. No string templates with markers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from streamfold.errors import IRError
from streamfold.hw.names import (
    KEYWORDS,
    MAX_IDENT,
    is_identifier,
    legal_identifiers,
    verilog_name,
)

__all__ = [
    "KEYWORDS",
    "MAX_IDENT",
    "Assign",
    "Direction",
    "Instance",
    "Module",
    "Port",
    "Wire",
    "emit",
    "is_identifier",
    "legal_identifiers",
    "verilog_name",
]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Direction(Enum):
    INPUT = "input"
    OUTPUT = "output"


@dataclass(frozen=True)
class Port:
    name: str
    direction: Direction
    width: int = 1


@dataclass(frozen=True)
class Wire:
    name: str
    width: int = 1


@dataclass(frozen=True)
class Instance:
    module: str
    name: str
    parameters: tuple[tuple[str, int | str], ...]
    connections: tuple[tuple[str, str], ...]  # (port, signal name)


@dataclass(frozen=True)
class Assign:
    target: str
    source: str


@dataclass(frozen=True)
class Module:
    name: str
    ports: tuple[Port, ...]
    wires: tuple[Wire, ...] = ()
    instances: tuple[Instance, ...] = ()
    assigns: tuple[Assign, ...] = ()
    header: tuple[str, ...] = ()  # comment lines


def _check_ident(name: str) -> str:
    if not _IDENT.fullmatch(name):
        raise IRError(f"verilog: identifier must match [A-Za-z_][A-Za-z0-9_]*, not {name!r}")
    if name in KEYWORDS:
        raise IRError(f"verilog: identifier must not be a keyword, not {name!r}")
    return name


def _check_unique(module: Module) -> None:
    """Ports, wires and instances share the module's name space."""
    names = [p.name for p in module.ports] + [w.name for w in module.wires]
    names += [i.name for i in module.instances]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise IRError(
                f"verilog: module {module.name}: names must be unique, not {name!r} twice"
            )
        seen.add(name)


def _range(width: int) -> str:
    if width < 1:
        raise IRError(f"verilog: width must be >= 1, not {width}")
    return "" if width == 1 else f"[{width - 1}:0] "


def _value(v: int | str) -> str:
    if isinstance(v, str):
        if '"' in v or "\\" in v:
            raise IRError(f"verilog: string parameter must not contain quotes, not {v!r}")
        return f'"{v}"'
    return str(v)


def emit(module: Module) -> str:
    _check_unique(module)
    lines = [f"// {h}" for h in module.header]
    lines.append("`default_nettype none")
    ports = ",\n".join(
        f"    {p.direction.value} wire {_range(p.width)}{_check_ident(p.name)}"
        for p in module.ports
    )
    lines.append(f"module {_check_ident(module.name)} (\n{ports}\n);")
    lines += [f"  wire {_range(w.width)}{_check_ident(w.name)};" for w in module.wires]
    for inst in module.instances:
        lines.append("")
        params = ",\n".join(f"    .{_check_ident(k)}({_value(v)})" for k, v in inst.parameters)
        head = f"  {_check_ident(inst.module)}"
        head += f" #(\n{params}\n  )" if params else ""
        conns = ",\n".join(
            f"    .{_check_ident(p)}({_check_ident(s)})" for p, s in inst.connections
        )
        lines.append(f"{head} {_check_ident(inst.name)} (\n{conns}\n  );")
    if module.assigns:
        lines.append("")
    lines += [
        f"  assign {_check_ident(a.target)} = {_check_ident(a.source)};" for a in module.assigns
    ]
    lines.append("endmodule")
    lines.append("`default_nettype wire")
    return "\n".join(lines) + "\n"
