"""Who calls the gateway: a user's session token (verified locally), or the operator's bootstrap token.

Activity slides the session: a token older than a minute is exchanged with identity for a fresh one,
returned in the ``X-Session-Token`` header; without activity for 30 minutes the token expires.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import HTTPException, Request, Response

from afas_declaration.config import Settings
from afas_shared.auth.credential import credential
from afas_shared.auth.tokens import UNAVAILABLE_MESSAGE, InvalidToken
from afas_shared.contracts.rpc.identity import OperatorSessionRequestV1
from afas_shared.messaging.rpc import RemoteError, ServiceUnavailable
from afas_shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

REFRESH_AFTER_SECONDS = 60
SESSION_HEADER = "X-Session-Token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# What a user who must change its password may still do.
WHILE_PASSWORD_CHANGE_REQUIRED = {
    "/api/v1/auth/password",
    "/api/v1/auth/logout",
    "/api/v1/auth/session",
    "/mot-de-passe",
    "/deconnexion",
}


@dataclass(frozen=True)
class Caller:
    claims: dict[str, Any]
    address: str | None
    session_id: str | None = None
    user_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def rpc(self, **payload: Any) -> dict[str, Any]:
        """Payload of a use case call with the caller the gateway verified.

        Read as is by the declaration service's own use cases; another service drops ``actor`` and reads
        the caller from the credential the request carries instead (``afas_shared.auth.credential``).
        """
        return {"actor": self.claims, "address": self.address, **payload}


def client_address(request: Request) -> str | None:
    """The TCP peer, or the X-Forwarded-For of a proxy listed in FORWARDED_ALLOW_IPS (none by default: uvicorn
    applies it, see ``afas_shared.entrypoint.proxy_options``); never a header any client may set itself."""
    return request.client.host if request.client else None


def unauthorized(message: str = "Authentification requise.") -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    return token or request.cookies.get("afas_session", "")


def _cookie_only(request: Request) -> bool:
    return not request.headers.get("authorization", "").startswith("Bearer ") and bool(
        request.cookies.get("afas_session")
    )


def unavailable() -> HTTPException:
    """A token that cannot be checked right now (identity's keys cannot be had) is not refused: 503, retry later."""
    return HTTPException(503, UNAVAILABLE_MESSAGE, headers={"Retry-After": "5"})


def csrf_for(secret: str, session_id: str) -> str:
    """The CSRF token of a session: keyed by ``AFAS_DECLARATION_CSRF_SECRET``, never by the operator's secret."""
    return hmac.new(secret.encode(), f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


OPERATOR_RENEW_SECONDS = 120


async def operator_credential(runtime: ServiceRuntime, secret: str) -> str:
    """The operator's short token signed by identity, exchanged for the bootstrap secret and renewed before its end.

    The secret itself goes no further than identity; every other service sees only the signed token.
    """
    cache = runtime.state.setdefault("operator_credential", {"token": None, "until": 0.0, "lock": asyncio.Lock()})
    async with cache["lock"]:
        if cache["token"] is None or runtime.clock.now().timestamp() >= cache["until"] - OPERATOR_RENEW_SECONDS:
            try:
                asked = OperatorSessionRequestV1(token=secret).model_dump(mode="json", by_alias=True)
                reply = await runtime.request("identity", "operator_session", asked)
            except RemoteError as exc:
                raise unauthorized(str(exc.detail or "Authentification requise.")) from None
            except ServiceUnavailable:
                raise HTTPException(503, "Le service d'identité ne répond pas, réessayez plus tard.") from None
            cache["token"] = reply["result"]["jeton"]
            cache["until"] = datetime.fromisoformat(reply["result"]["expire_a"]).timestamp()
        return cache["token"]


def caller_dependency(runtime: ServiceRuntime, settings: Settings):
    # A token verified once is remembered for a minute; its expiry and revocation are checked on every request
    sessions = runtime.verified_sessions

    async def current_caller(request: Request, response: Response) -> Caller:
        token = bearer(request)
        address = client_address(request)
        if not token:
            raise unauthorized()
        if secrets.compare_digest(token, settings.admin_token):
            credential.set(await operator_credential(runtime, settings.admin_token))
            return Caller(claims={"kind": "operator"}, address=address)
        try:
            claims = await sessions.verify(token)
        except InvalidToken as exc:
            raise unauthorized(exc.message) from None
        except ServiceUnavailable:  # KeysUnavailable: the session may be valid, never a 401
            raise unavailable() from None
        # Every service this request reaches verifies this same token itself.
        credential.set(token)
        if (
            _cookie_only(request)
            and request.method not in SAFE_METHODS
            and request.url.path.startswith("/api/")
            and not hmac.compare_digest(
                request.headers.get(CSRF_HEADER, ""), csrf_for(settings.csrf_secret, str(claims.sid))
            )
        ):
            # A browser sends the cookie by itself: an unsafe API call must also prove it comes from our pages
            raise HTTPException(403, "Jeton de sécurité manquant ou invalide : rechargez la page.")
        if claims.password_change_required and request.url.path not in WHILE_PASSWORD_CHANGE_REQUIRED:
            raise HTTPException(403, "Vous devez changer votre mot de passe avant de continuer.")
        if (
            runtime.clock.now().timestamp() - claims.iat >= REFRESH_AFTER_SECONDS
            and request.url.path != "/api/v1/auth/logout"
        ):
            try:
                fresh = await runtime.request("identity", "refresh", {"session_id": str(claims.sid)})
            except RemoteError as exc:
                raise unauthorized(str(exc.detail)) from None
            except ServiceUnavailable:
                fresh = None  # keep serving on the still-valid token; the next call retries
            if fresh is not None:
                response.headers[SESSION_HEADER] = fresh["result"]["jeton"]
        return Caller(
            claims=claims.model_dump(mode="json"), address=address, session_id=str(claims.sid), user_id=str(claims.sub)
        )

    return current_caller
