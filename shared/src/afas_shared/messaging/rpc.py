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

    def __init__(self, service: str, error: str, detail: object = None) -> None:
        super().__init__(f"{service}: {error}" + (f" ({detail})" if detail else ""))
        self.service = service
        self.error = error
        self.detail = detail
