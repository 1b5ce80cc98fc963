"""The pin wrapper: place a design whose streams are wider than the package has pins.

A build's top (``sf_top``) has ``s_axis_tdata`` and ``m_axis_tdata`` as wide as one stream
word (784 bits for TFC's first layer at SIMD 49 x 16 ... any width): more than the 365 user
I/O of an LFE5U-85F in the CABGA381 package, so nextpnr cannot place it. For place and route
(a measurement of the design's clock, not a board image) ``sf_pinwrap_top`` instead carries
each wide stream as ``CHUNK_BITS``-bit chunks: ``sf_pinwrap_in`` gathers them into the
design's input word, ``sf_pinwrap_out`` sends its output word out in chunks (``hw/pinwrap``).
Both are plain shift registers behind a register, so they do not lengthen the design's paths.
``plan`` picks the wrapper when the top's ports exceed the package's pins, or, with
``registered``, always: then every stream passes a one-chunk stage whose ready is its own
register, so no path of the design runs through a pin (a design whose input handshake meets
an input pin in one LUT is otherwise timed through wherever the placer puts that LUT, near
the pins: how a design sits behind a shell's FIFOs on a board; a word then takes two cycles
at each stage, which a measurement of the clock does not mind).
"""

from __future__ import annotations

from dataclasses import dataclass

from streamfold import __version__
from streamfold.codegen.verilog import Direction, Instance, Module, Port, Wire, emit
from streamfold.cost.devices import Device
from streamfold.errors import ResourceError

TOP = "sf_pinwrap_top"
SOURCE = f"{TOP}.v"
CHUNK_BITS = 32  # a wrapped stream's pins: a few, yet few cycles per word
CONTROL_PINS = 2  # clk, rst_n
HANDSHAKE_PINS = 2  # tvalid, tready per stream

# User I/O per (device, package): FPGA-DS-02012 (ECP5 and ECP5-5G Family Data Sheet) Table 1.1,
# CABGA381: 197 for LFE5U-25, 365 for LFE5U-85 (nextpnr's report: TRELLIS_IO available 365).
PACKAGE_PINS = {("lfe5u-25f", "CABGA381"): 197, ("lfe5u-85f", "CABGA381"): 365}


@dataclass(frozen=True)
class PinPlan:
    """How a top's streams reach the pins: each stream's pin width (its own when not wrapped)."""

    top: str  # the design's top module
    in_bits: int
    out_bits: int
    in_pins: int
    out_pins: int
    registered: bool = False  # both streams through a stage, also where their widths fit

    @property
    def wraps(self) -> bool:
        return self.registered or (self.in_pins, self.out_pins) != (self.in_bits, self.out_bits)

    @property
    def pins(self) -> int:
        return ports_pins(self.in_pins, self.out_pins)


def ports_pins(in_bits: int, out_bits: int) -> int:
    """Pins of a top with these stream widths: data, handshakes, clock and reset."""
    return in_bits + out_bits + 2 * HANDSHAKE_PINS + CONTROL_PINS


def package_pins(dev: Device) -> int:
    try:
        return PACKAGE_PINS[(dev.name, dev.package)]
    except KeyError:
        known = ", ".join(f"{d} {p}" for d, p in PACKAGE_PINS)
        raise ResourceError(
            f"pin wrapper: device and package must be one of {known}, not {dev.name} "
            f"{dev.package or '(no package)'}"
        ) from None


def plan(top: str, in_bits: int, out_bits: int, pins: int, registered: bool = False) -> PinPlan:
    """The top as it is when its ports fit ``pins``; else the wide streams in chunks of
    ``CHUNK_BITS`` (the input first, then the output); ResourceError when even that does not
    fit, naming the ports and the pins. ``registered``: both streams through a stage either
    way (see the module docstring)."""
    direct = PinPlan(top, in_bits, out_bits, in_bits, out_bits, registered)
    if direct.pins <= pins:
        return direct
    for in_pins, out_pins in (
        (min(in_bits, CHUNK_BITS), out_bits),
        (min(in_bits, CHUNK_BITS), min(out_bits, CHUNK_BITS)),
    ):
        wrapped = PinPlan(top, in_bits, out_bits, in_pins, out_pins, registered)
        if wrapped.pins <= pins:
            return wrapped
    raise ResourceError(
        f"{top}: ports s_axis_tdata ({in_bits} bits) and m_axis_tdata ({out_bits} bits) "
        f"must fit {pins} pins, even serialised to {wrapped.in_pins} + {wrapped.out_pins} "
        f"data pins ({wrapped.pins} pins with clock, reset and handshakes)"
    )


def wrapper_module(p: PinPlan) -> Module:
    """``sf_pinwrap_top``: the design's top between the chunking stages its plan asks for."""
    ports = (
        Port("clk", Direction.INPUT),
        Port("rst_n", Direction.INPUT),
        Port("s_axis_tdata", Direction.INPUT, p.in_pins),
        Port("s_axis_tvalid", Direction.INPUT),
        Port("s_axis_tready", Direction.OUTPUT),
        Port("m_axis_tdata", Direction.OUTPUT, p.out_pins),
        Port("m_axis_tvalid", Direction.OUTPUT),
        Port("m_axis_tready", Direction.INPUT),
    )
    wires: list[Wire] = []
    instances: list[Instance] = []
    inner_in, inner_out = "s_axis", "m_axis"
    clocks = (("clk", "clk"), ("rst_n", "rst_n"))
    if p.in_pins != p.in_bits or p.registered:
        inner_in = "wide_in"
        wires += _stream_wires(inner_in, p.in_bits)
        instances.append(
            Instance(
                "sf_pinwrap_in", "u_pinwrap_in", (("WIDTH", p.in_bits), ("PINS", p.in_pins)),
                (*clocks, *_connect("s_axis", "s_axis"), *_connect("m_axis", inner_in)),
            )
        )  # fmt: skip
    if p.out_pins != p.out_bits or p.registered:
        inner_out = "wide_out"
        wires += _stream_wires(inner_out, p.out_bits)
    instances.append(
        Instance(
            p.top, "u_design", (),
            (*clocks, *_connect("s_axis", inner_in), *_connect("m_axis", inner_out)),
        )
    )  # fmt: skip
    if inner_out != "m_axis":
        instances.append(
            Instance(
                "sf_pinwrap_out", "u_pinwrap_out",
                (("WIDTH", p.out_bits), ("PINS", p.out_pins), ("REG_READY", int(p.registered))),
                (*clocks, *_connect("s_axis", inner_out), *_connect("m_axis", "m_axis")),
            )
        )  # fmt: skip
    header = (
        f"Generated by streamfold {__version__}: {p.top} with its streams serialised onto "
        f"{p.in_pins} + {p.out_pins} data pins (synth.pinwrap), for place and route.",
    )
    return Module(TOP, ports, tuple(wires), tuple(instances), header=header)


def wrapper_source(p: PinPlan) -> str:
    return emit(wrapper_module(p))


def _stream_wires(name: str, width: int) -> list[Wire]:
    return [Wire(f"{name}_tdata", width), Wire(f"{name}_tvalid"), Wire(f"{name}_tready")]


def _connect(port: str, stream: str) -> tuple[tuple[str, str], ...]:
    return tuple((f"{port}{sig}", f"{stream}{sig}") for sig in ("_tdata", "_tvalid", "_tready"))
