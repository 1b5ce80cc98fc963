"""sf_iodma_rd / sf_iodma_wr: the shell's AXI4 master DMA (``cost``: its cycles; the memory
layout it reads and writes is ``hw.shell.layout``; its RTL is listed by ``hw.shell.rtl``)."""
