"""The memory-mapped accelerator (``sf_top_axi``) as an IP-XACT component (IEEE 1685-2014).

Bus interfaces use the AMBA bus definitions Vivado ships (``xilinx.com:interface:aximm:1.0``,
``xilinx.com:signal:clock:1.0``, ``xilinx.com:signal:reset:1.0``), so Vivado's IP catalog
recognises ``s_axil`` (AXI4-Lite slave, memory map ``s_axil`` with the register block ``reg0``)
and ``m_axi`` (AXI4 master, 32-bit address space). The file set lists the build's RTL and
memory images under ``rtl/``. The XML is written by ``xml.etree`` in a fixed order, so the same
build gives byte-identical text; it validates against the Accellera schema (tests/packaging).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from streamfold.hw.shell.layout import BUS_BYTES
from streamfold.hw.shell.rtl import ADDR_BITS, TOP_AXI, axi_master_ports, lite_ports
from streamfold.runtime.regs import Reg

NS = "http://www.accellera.org/XMLSchema/IPXACT/1685-2014"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XILINX = "http://www.xilinx.com"  # Vivado's vendor extensions (families, catalog entry)
FAMILIES = ("zynq", "zynquplus")
VENDOR, LIBRARY, VERSION = "streamfold.org", "streamfold", "1.0"
REG_SPAN = 0x1000  # the register window: 12-bit AXI4-Lite address
_WRITABLE = {Reg.SRC_ADDR, Reg.DST_ADDR, Reg.FRAMES}
_WRITE_ONLY = {Reg.CTRL}


def _e(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{NS}}}{tag}", dict(attrs))  # attributes are unqualified
    if text is not None:
        el.text = text
    return el


def _bus(
    parent: ET.Element,
    name: str,
    bus: tuple[str, str, str],
    mode: ET.Element | None,
    maps: Sequence[tuple[str, str]],
) -> ET.Element:
    bi = _e(parent, "busInterface")
    _e(bi, "name", name)
    lib, kind, _ = bus
    _e(bi, "busType", vendor="xilinx.com", library=lib, name=kind, version="1.0")
    at = _e(_e(bi, "abstractionTypes"), "abstractionType")
    _e(at, "abstractionRef", vendor="xilinx.com", library=lib, name=f"{kind}_rtl", version="1.0")
    pms = _e(at, "portMaps")
    for logical, physical in maps:
        pm = _e(pms, "portMap")
        _e(_e(pm, "logicalPort"), "name", logical)
        _e(_e(pm, "physicalPort"), "name", physical)
    if mode is not None:
        bi.append(mode)
    return bi


def _axi_maps(ports: Sequence[tuple[str, bool, int]], prefix: str) -> list[tuple[str, str]]:
    return [(name.removeprefix(prefix).upper(), name) for name, _, _ in ports]


def _mode(tag: str, ref_tag: str, ref: str) -> ET.Element:
    mode = ET.Element(f"{{{NS}}}{tag}")
    ET.SubElement(mode, f"{{{NS}}}{ref_tag}", {ref_tag: ref})
    return mode


def _parameter(parent: ET.Element, name: str, value: str) -> None:
    p = _e(parent, "parameter")
    _e(p, "name", name)
    _e(p, "value", value)


def _register(block: ET.Element, reg: Reg) -> None:
    access = (
        "write-only" if reg in _WRITE_ONLY else "read-write" if reg in _WRITABLE else "read-only"
    )
    r = _e(block, "register")
    _e(r, "name", reg.name)
    _e(r, "addressOffset", f"'h{reg.value:x}")
    _e(r, "size", "32")
    _e(r, "access", access)
    f = _e(r, "field")
    _e(f, "name", "value")
    _e(f, "bitOffset", "0")
    _e(f, "bitWidth", "32")
    _e(f, "access", access)


def component_xml(files: Sequence[str]) -> bytes:
    """``component.xml`` of ``sf_top_axi``; ``files``: the build's RTL and memory images,
    relative to the component (``rtl/...``)."""
    ET.register_namespace("ipxact", NS)
    ET.register_namespace("xsi", XSI)
    ET.register_namespace("xilinx", XILINX)
    root = ET.Element(
        f"{{{NS}}}component",
        {f"{{{XSI}}}schemaLocation": f"{NS} {NS}/index.xsd"},
    )
    for tag, text in (("vendor", VENDOR), ("library", LIBRARY), ("name", TOP_AXI)):
        _e(root, tag, text)
    _e(root, "version", VERSION)
    bis = _e(root, "busInterfaces")
    lite = lite_ports()
    master = axi_master_ports(BUS_BYTES)
    _bus(
        bis,
        "s_axil",
        ("interface", "aximm", "1.0"),
        _mode("slave", "memoryMapRef", "s_axil"),
        _axi_maps(lite, "s_axil_"),
    )
    _bus(
        bis,
        "m_axi",
        ("interface", "aximm", "1.0"),
        _mode("master", "addressSpaceRef", "m_axi"),
        _axi_maps(master, "m_axi_"),
    )
    rst = _bus(
        bis, "rst_n", ("signal", "reset", "1.0"), ET.Element(f"{{{NS}}}slave"), [("RST", "rst_n")]
    )
    _parameter(_e(rst, "parameters"), "POLARITY", "ACTIVE_LOW")
    clk = _bus(
        bis, "clk", ("signal", "clock", "1.0"), ET.Element(f"{{{NS}}}slave"), [("CLK", "clk")]
    )
    params = _e(clk, "parameters")
    _parameter(params, "ASSOCIATED_BUSIF", "s_axil:m_axi")
    _parameter(params, "ASSOCIATED_RESET", "rst_n")
    space = _e(_e(root, "addressSpaces"), "addressSpace")
    _e(space, "name", "m_axi")
    _e(space, "range", str(1 << ADDR_BITS))
    _e(space, "width", str(8 * BUS_BYTES))
    mm = _e(_e(root, "memoryMaps"), "memoryMap")
    _e(mm, "name", "s_axil")
    block = _e(mm, "addressBlock")
    _e(block, "name", "reg0")
    _e(block, "baseAddress", "0")
    _e(block, "range", str(REG_SPAN))
    _e(block, "width", "32")
    _e(block, "usage", "register")
    for reg in Reg:
        _register(block, reg)
    _model(root, lite, master)
    fs = _e(_e(root, "fileSets"), "fileSet")
    _e(fs, "name", "sources")
    for rel in sorted(files):
        f = _e(fs, "file")
        _e(f, "name", rel)
        if rel.endswith(".v"):
            _e(f, "fileType", "verilogSource")
        else:  # $readmemh images, read at elaboration from the sources' folder
            _e(f, "fileType", "user", user="memory-image")
    _vendor_extensions(root)
    ET.indent(root)
    xml: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return xml + b"\n"


def _model(root: ET.Element, *groups: Sequence[tuple[str, bool, int]]) -> None:
    model = _e(root, "model")
    view = _e(_e(model, "views"), "view")
    _e(view, "name", "rtl")
    _e(view, "envIdentifier", ":vivado.xilinx.com:synthesis")
    _e(view, "envIdentifier", ":vivado.xilinx.com:simulation")
    _e(view, "componentInstantiationRef", "verilog")
    inst = _e(_e(model, "instantiations"), "componentInstantiation")
    _e(inst, "name", "verilog")
    _e(inst, "language", "Verilog")
    _e(inst, "moduleName", TOP_AXI)
    _e(_e(inst, "fileSetRef"), "localName", "sources")
    ports = _e(model, "ports")
    for name, is_in, width in (
        ("clk", True, 1),
        ("rst_n", True, 1),
        *(p for g in groups for p in g),
    ):
        port = _e(ports, "port")
        _e(port, "name", name)
        wire = _e(port, "wire")
        _e(wire, "direction", "in" if is_in else "out")
        if width > 1:
            vec = _e(_e(wire, "vectors"), "vector")
            _e(vec, "left", str(width - 1))
            _e(vec, "right", "0")


def _vendor_extensions(root: ET.Element) -> None:
    def x(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(
            parent, f"{{{XILINX}}}{tag}", {f"{{{XILINX}}}{k}": v for k, v in attrs.items()}
        )
        el.text = text
        return el

    core = x(_e(root, "vendorExtensions"), "coreExtensions")
    families = x(core, "supportedFamilies")
    for family in FAMILIES:
        x(families, "family", family, lifeCycle="Production")
    x(x(core, "taxonomies"), "taxonomy", "/UserIP")
    x(core, "displayName", "streamfold accelerator (sf_top_axi)")
    x(core, "coreRevision", "1")
