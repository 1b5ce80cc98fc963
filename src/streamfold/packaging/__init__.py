"""Packaging a build for a board: an IP-XACT component of the memory-mapped shell and Vivado
block designs for Zynq boards (``ipxact``, ``vivado``), and an open-tool ECP5 board flow
(``ecp5``). ``deploy`` writes one board's folder."""
