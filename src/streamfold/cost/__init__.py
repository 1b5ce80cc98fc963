"""Cost models: cycles now; resources and devices in a later step."""
