"""The refusals of declaration's use cases, independent of how they reach the caller.

A use case raises one of these with the French message for the user and, when one input is at fault, its field.
The gateway and the bus entrypoints turn them into the bus's refusal and into HTTP answers in one place
(``afas_declaration.gateway.clients.service_calls``): the application knows nothing of the bus.
"""

from __future__ import annotations


class Refused(Exception):
    """An expected refusal (not a crash): ``detail`` is the French message, ``field`` the input at fault."""

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class Invalid(Refused):
    """The input is wrong (HTTP 422)."""


class Conflict(Refused):
    """The request clashes with the declaration's current state (HTTP 409)."""


class Forbidden(Refused):
    """The caller may not do this (HTTP 403)."""


class NotFound(Refused):
    """What the request names does not exist, or not for this caller (HTTP 404)."""
