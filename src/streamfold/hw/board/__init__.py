"""Board tops around ``sf_top_axi`` for open-tool boards (``ulx3s``)."""
