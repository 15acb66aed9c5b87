"""Expected refusals (not crashes), independent of how they reach the caller.

The shared helpers a use case calls (the forwarded caller's claims, the text rules) and the use cases of a service
that has no refusal types of its own raise one of these, with the French message for the user and, when one input
is at fault, its field. The bus layer answers them as its error reply (``afas_shared.bus``), with ``code`` as the
error; a gateway turns that code into an HTTP status. Nothing here knows the bus.
"""

from __future__ import annotations

from typing import Any, ClassVar


class Refused(Exception):
    """``detail`` is the French message, ``field`` the input at fault; ``code`` names the kind of refusal."""

    code: ClassVar[str]

    def __init_subclass__(cls, *, code: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class Invalid(Refused, code="invalid"):
    """The input is wrong (HTTP 422)."""


class Unauthorized(Refused, code="unauthorized"):
    """The caller is not authenticated (HTTP 401)."""


class Forbidden(Refused, code="forbidden"):
    """The caller may not do this (HTTP 403)."""


class NotFound(Refused, code="not_found"):
    """What the request names does not exist, or not for this caller (HTTP 404)."""


class Conflict(Refused, code="conflict"):
    """The request clashes with the current state of what it names (HTTP 409)."""
