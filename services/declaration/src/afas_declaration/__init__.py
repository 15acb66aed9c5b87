"""Declaration service: declaration state, forms, controls, signature, PDF; the API gateway and web UI."""

SERVICE = "declaration"
__version__ = "0.1.0"
