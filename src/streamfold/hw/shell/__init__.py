"""The integration shell around a generated pipeline: byte-aligned AXI-Stream with TLAST
(``sf_shell_axis``) or a memory-mapped accelerator with its own DMA (``sf_shell_mm``), both
with the AXI4-Lite register block. ``layout``: frames on the streams and in memory; ``rtl``:
the hand-written sources and the generated wrapper tops."""
