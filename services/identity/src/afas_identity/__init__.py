"""Identity service: authentication, sessions, partners, conventions, users and groups."""

SERVICE = "identity"
__version__ = "0.1.0"
