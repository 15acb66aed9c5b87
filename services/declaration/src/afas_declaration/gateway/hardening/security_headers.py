"""Strict security headers on every HTTP response of the gateway (a pure ASGI middleware).

Added to each response unless the application already set the same header (a route may set its own,
stricter or more specific, value):

- ``Content-Security-Policy``: only the platform's own origin, no framing, no plugins (``CONTENT_SECURITY_POLICY``).
  A path may get another policy through ``csp_overrides``: by default FastAPI's ``/docs`` (Swagger UI) and
  ``/redoc`` get ``DOCS_CONTENT_SECURITY_POLICY``/``REDOC_CONTENT_SECURITY_POLICY``, which allow the CDN that
  FastAPI loads them from and their inline bootstrap script; every other page keeps the strict policy.
- ``Strict-Transport-Security``: two years, subdomains included (browsers ignore it over plain HTTP).
- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` (for browsers without ``frame-ancestors``),
  ``Permissions-Policy`` (no camera, microphone, geolocation), ``Cross-Origin-Opener-Policy: same-origin``.
- ``Referrer-Policy: no-referrer``: the platform's URLs carry declaration ids and, for activation and password
  reset, one-time tokens, and nothing on the platform needs the Referer header; ``no-referrer`` keeps them out of
  every request a page makes, to any origin (and out of other sites' logs). Trade-off: browsers then send
  ``Origin: null`` on same-origin form/``fetch`` POSTs, so a future CSRF check based on ``Origin`` should pass
  ``referrer_policy="strict-origin-when-cross-origin"`` (full URL same-origin, origin only cross-origin).
- ``Cache-Control: no-store`` on every response, API and pages alike (personal data must not stay in a browser
  or proxy cache, nor an authenticated page come back with the Back button after logout), unless the route set
  its own ``Cache-Control`` (the static assets: ``public, max-age=300``).

Wiring: ``app.add_middleware(SecurityHeadersMiddleware)``. Starlette's ``ServerErrorMiddleware`` sits outside
the user middlewares, so its bare 500 pages do not get the headers; wrap the whole application
(``SecurityHeadersMiddleware(app)``) to cover them too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)
# FastAPI's Swagger UI page: bundle and stylesheet from the CDN, an inline script that starts it, its favicon.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
# FastAPI's ReDoc page: script from the CDN, Google fonts, a web worker from a blob.
REDOC_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com; font-src 'self' https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
DOCS_CSP_OVERRIDES: Mapping[str, str] = MappingProxyType(
    {"/docs": DOCS_CONTENT_SECURITY_POLICY, "/redoc": REDOC_CONTENT_SECURITY_POLICY}
)
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"


def _path_prefix(prefix: str) -> str:
    return prefix if prefix == "/" else prefix.rstrip("/")


def _under(path: str, prefix: str) -> bool:
    """``path`` is ``prefix`` or below it: ``/docs`` covers ``/docs/oauth2-redirect``, not ``/documents``."""
    if prefix == "/":
        return path == "/"
    return path == prefix or path.startswith(prefix + "/")


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response; see the module docstring for the choices.

    ``csp_overrides`` maps a path (it covers the paths below it; ``"/"`` covers only the home page) to the
    Content-Security-Policy served there instead of ``csp``; the longest matching path wins.
    ``hsts=None`` leaves Strict-Transport-Security out (a deployment that sets it at its proxy).
    ``no_store_prefixes``: responses under these paths get ``Cache-Control: no-store`` unless they set one.
    ``extra_headers`` are added like the others (e.g. ``{"Cross-Origin-Resource-Policy": "same-origin"}``).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        csp: str = CONTENT_SECURITY_POLICY,
        csp_overrides: Mapping[str, str] = DOCS_CSP_OVERRIDES,
        hsts: str | None = STRICT_TRANSPORT_SECURITY,
        referrer_policy: str = "no-referrer",
        no_store_prefixes: Sequence[str] = ("/",),
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.csp = csp
        # Longest first, so that the most specific path wins
        self.csp_overrides = sorted(
            ((_path_prefix(p), policy) for p, policy in csp_overrides.items()), key=lambda item: -len(item[0])
        )
        self.no_store_prefixes = tuple(no_store_prefixes)
        headers = {
            "strict-transport-security": hsts,
            "x-content-type-options": "nosniff",
            "referrer-policy": referrer_policy,
            "x-frame-options": "DENY",
            "permissions-policy": PERMISSIONS_POLICY,
            "cross-origin-opener-policy": "same-origin",
            **{name.lower(): value for name, value in (extra_headers or {}).items()},
        }
        self.headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items() if value]

    def policy_for(self, path: str) -> str:
        """The Content-Security-Policy served on ``path``."""
        for prefix, policy in self.csp_overrides:
            if _under(path, prefix):
                return policy
        return self.csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        added = [(b"content-security-policy", self.policy_for(path).encode("latin-1")), *self.headers]
        if any(path.startswith(prefix) for prefix in self.no_store_prefixes):
            added.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in added if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
