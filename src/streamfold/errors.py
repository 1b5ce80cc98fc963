"""The error hierarchy: every failure a user can cause is a StreamfoldError subclass.

Messages read ``<where>: <what> must be <expected>, not <got>``; the CLI prints them as one
line and exits 1.
"""


class StreamfoldError(Exception):
    """Base class of every error streamfold raises on purpose."""


class FrontendError(StreamfoldError):
    """A model cannot be imported: unsupported layer, op or attribute (names it)."""


class QuantError(StreamfoldError):
    """A quantized layer is misconfigured or its learned parameters are unusable."""


class DataError(StreamfoldError):
    """A data set is missing or malformed (names the path and what was expected)."""


class IRError(StreamfoldError):
    """A graph fails verification, or a pass cannot apply (names the node and the stage)."""


class SimulationError(StreamfoldError):
    """Executing a graph failed: bad inputs, or a value outside its declared type."""


class FoldingError(StreamfoldError):
    """An illegal folding (names the node and the constraint)."""


class ResourceError(StreamfoldError):
    """A design does not fit the device (names the scarcest resource and by how much)."""


class ToolError(StreamfoldError):
    """An external tool is missing or failed (command, exit code, log tail, install hint)."""
