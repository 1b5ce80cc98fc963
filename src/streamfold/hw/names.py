"""Legal, unique, deterministic Verilog identifiers for names from any ONNX or PyTorch model
(``x.7``, ``/layer.0/Gemm_output_0``, ``input``): stage instances, streams and memory images.

Here, below the design layer that names stages and codegen that emits them, so both use one
rule.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ILLEGAL = re.compile(r"[^A-Za-z0-9_]+")
MAX_IDENT = 64  # room for prefixes and suffixes under file-name limits (255 bytes)
# IEEE 1800-2017 Annex B (SystemVerilog, a superset of Verilog-2005's), so that a generated
# name is legal in every tool that reads the build.
KEYWORDS = frozenset(
    """accept_on alias always always_comb always_ff always_latch and assert assign assume
    automatic before begin bind bins binsof bit break buf bufif0 bufif1 byte case casex casez
    cell chandle checker class clocking cmos config const constraint context continue cover
    covergroup coverpoint cross deassign default defparam design disable dist do edge else end
    endcase endchecker endclass endclocking endconfig endfunction endgenerate endgroup
    endinterface endmodule endpackage endprimitive endprogram endproperty endsequence
    endspecify endtable endtask enum event eventually expect export extends extern final
    first_match for force foreach forever fork forkjoin function generate genvar global
    highz0 highz1 if iff ifnone ignore_bins illegal_bins implements implies import incdir
    include initial inout input inside instance int integer interconnect interface intersect
    join join_any join_none large let liblist library local localparam logic longint
    macromodule matches medium modport module nand negedge nettype new nexttime nmos nor
    noshowcancelled not notif0 notif1 null or output package packed parameter pmos posedge
    primitive priority program property protected pull0 pull1 pulldown pullup
    pulsestyle_ondetect pulsestyle_onevent pure rand randc randcase randsequence rcmos real
    realtime ref reg reject_on release repeat restrict return rnmos rpmos rtran rtranif0
    rtranif1 s_always s_eventually s_nexttime s_until s_until_with scalared sequence shortint
    shortreal showcancelled signed small soft solve specify specparam static string strong
    strong0 strong1 struct super supply0 supply1 sync_accept_on sync_reject_on table tagged
    task this throughout time timeprecision timeunit tran tranif0 tranif1 tri tri0 tri1 triand
    trior trireg type typedef union unique unique0 unsigned until until_with untyped use uwire
    var vectored virtual void wait wait_order wand weak weak0 weak1 while wildcard wire with
    within wor xnor xor""".split()  # noqa: SIM905 (a word list reads better than 250 strings)
)


def is_identifier(name: str) -> bool:
    """Whether ``name`` may be used as it is: a simple identifier, no keyword, not too long."""
    return bool(_IDENT.fullmatch(name)) and name not in KEYWORDS and len(name) <= MAX_IDENT


def verilog_name(name: str) -> str:
    """A legal identifier for ``name``: itself when it is one, else its characters outside
    ``[A-Za-z0-9_]`` replaced by ``_``, a leading digit or a keyword prefixed with ``n_``, and
    a long name cut to ``MAX_IDENT`` characters ending in a hash of the whole name."""
    if is_identifier(name):
        return name
    out = _ILLEGAL.sub("_", name).strip("_") or "n"
    if out[0].isdigit() or out in KEYWORDS:
        out = f"n_{out}"
    if len(out) > MAX_IDENT:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        out = f"{out[: MAX_IDENT - 9]}_{digest}"
    return out


def legal_identifiers(names: Iterable[str]) -> dict[str, str]:
    """A legal, unique Verilog identifier for each of ``names`` (deterministic: the same names
    in the same order give the same identifiers).

    Names that are already identifiers keep themselves; the others get ``verilog_name``, and
    when two of them meet (``a.b`` and ``a/b``), or one meets a kept name, the later gets a
    counter suffix ``_2``, ``_3``, ... in the order given.
    """
    ordered = list(dict.fromkeys(names))
    out = {n: n for n in ordered if is_identifier(n)}
    taken = set(out)
    for name in ordered:
        if name in out:
            continue
        base = candidate = verilog_name(name)
        k = 2
        while candidate in taken:
            candidate = f"{base}_{k}"
            k += 1
        out[name] = candidate
        taken.add(candidate)
    return {n: out[n] for n in ordered}
