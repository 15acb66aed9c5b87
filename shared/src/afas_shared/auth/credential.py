"""The caller's credential on the bus, and how a responder turns it into the actor it may believe.

A request/reply never carries who is calling in its payload: the caller's signed session token
(or the operator's, also signed by identity) travels in the ``Afas-Credential`` header, and the
responder verifies it itself with identity's public keys and the revoked sessions it knows. Only
the verified claims become ``payload["actor"]``; whatever the payload claimed is dropped first.

The credential of the operation being handled is kept in a context variable, so a use case that
calls another service on behalf of its user passes the same credential on without threading it
through every signature. It is never logged and never written to a stream.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter

from afas_shared.auth.tokens import UNAVAILABLE_MESSAGE, InvalidToken, SessionClaims, TokenVerifier
from afas_shared.auth.verified_sessions import VerifiedSessions
from afas_shared.messaging import context
from afas_shared.messaging.rpc import RpcFailure, ServiceUnavailable
from afas_shared.refusals import Refused

log = logging.getLogger("afas.security")

CREDENTIAL_HEADER = "Afas-Credential"
REFUSED_CODES = frozenset({"unauthorized", "forbidden"})
# The credential could not be checked (identity's keys cannot be had): the caller may be right, retry later.
UNAVAILABLE_CODE = "unavailable"

credential: ContextVar[str | None] = ContextVar("afas_credential", default=None)

REFUSALS = Counter(
    "afas_rpc_refusals_total",
    "Requests refused by a responder: no or bad credential, or not allowed",
    ["service", "verb", "reason"],
)

# Extra checks a service may add once a token verifies (identity: the session is still open in its own table).
SessionGuard = Callable[[SessionClaims], Awaitable[None]]


def current_credential() -> str | None:
    return credential.get()


def actor_of(claims: SessionClaims) -> dict[str, Any]:
    """What handlers read as ``payload["actor"]``: the verified claims, nothing the payload said."""
    return {
        "kind": claims.kind,
        # The operator is not a user: no user id, so nothing treats it as one.
        "sub": None if claims.kind == "operator" else str(claims.sub),
        "sid": str(claims.sid),
        "partner_id": str(claims.partner_id) if claims.partner_id else None,
        "caf_code": claims.caf_code,
        "groups": list(claims.groups),
        "caf_roles": list(claims.caf_roles),
        "password_change_required": claims.password_change_required,
    }


@dataclass
class Responder:
    """Authenticates each request of one service before its handler sees it, and audits every refusal."""

    service: str
    tokens: TokenVerifier | VerifiedSessions  # a runtime's remember the tokens they verified (same refusals)
    session_guard: SessionGuard | None = None

    async def authenticate(self, verb: str, payload: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        """The payload the handler gets: ``actor`` replaced by the verified claims, or removed."""
        trusted = {key: value for key, value in payload.items() if key != "actor"}
        token = headers.get(CREDENTIAL_HEADER)
        if "actor" in payload and not token:
            # Someone claimed to be somebody without proving it: nothing the handler does may believe it.
            self.audit(verb, "claimed_actor_without_credential", payload.get("actor"))
        if not token:
            return trusted
        try:
            claims = await self.tokens.verify(token)
            if self.session_guard is not None:
                await self.session_guard(claims)
        except InvalidToken as exc:
            self.audit(verb, f"credential_{exc.reason}", None)
            raise RpcFailure("unauthorized", exc.message) from None
        except ServiceUnavailable:
            self.audit(verb, "credential_unverifiable", None)
            raise RpcFailure(UNAVAILABLE_CODE, UNAVAILABLE_MESSAGE) from None
        trusted["actor"] = actor_of(claims)
        return trusted

    def audit(self, verb: str, reason: str, actor: Any) -> None:
        REFUSALS.labels(self.service, verb, reason).inc()
        who = actor if isinstance(actor, dict) else {}
        log.warning(
            "refused %s.%s: %s",
            self.service,
            verb,
            reason,
            extra={
                "audit": "refused",
                "service_name": self.service,
                "verb": verb,
                "reason": reason,
                "actor_kind": who.get("kind"),
                "actor_sub": who.get("sub"),
                "actor_sid": who.get("sid"),
                "correlation_id": context.correlation_id.get(),
            },
        )

    def refused(self, verb: str, refusal: RpcFailure | Refused, actor: Any) -> None:
        """A handler refused its caller (not authenticated, or not allowed): audited here, in this service."""
        if refusal.code in REFUSED_CODES:
            self.audit(verb, refusal.code, actor)
