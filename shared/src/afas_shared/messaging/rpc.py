"""Request/reply between services over core NATS, always bounded by a timeout."""

from __future__ import annotations


class ServiceUnavailable(Exception):
    """The named service did not answer in time (down, or no responder on its subject)."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


class RemoteError(Exception):
    """The service answered with an error payload."""

    def __init__(self, service: str, error: str, detail: object = None, field: str | None = None) -> None:
        super().__init__(f"{service}: {error}" + (f" ({detail})" if detail else ""))
        self.service = service
        self.error = error
        self.detail = detail
        self.field = field


class RpcFailure(Exception):
    """Raised by an RPC handler to answer a precise, expected refusal (not a crash).

    ``code`` is one of: invalid, conflict, forbidden, not_found, unauthorized, locked, unavailable; ``detail`` is
    the French message for the user; ``field`` names the input at fault, when there is one.
    """

    def __init__(self, code: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
