"""sf_axilite_regs: the shell's AXI4-Lite register block (map: ``runtime.regs``)."""
