"""The security headers middleware: strict headers everywhere, a relaxed CSP for the API docs only."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, HTTPException, Response
from fastapi.responses import HTMLResponse, StreamingResponse

from afas_declaration.gateway.hardening.security_headers import (
    CONTENT_SECURITY_POLICY,
    DOCS_CONTENT_SECURITY_POLICY,
    REDOC_CONTENT_SECURITY_POLICY,
    SecurityHeadersMiddleware,
)


def make_app(**options) -> FastAPI:
    app = FastAPI()

    @app.get("/")
    async def home() -> HTMLResponse:
        return HTMLResponse("<h1>Accueil</h1>")

    @app.get("/api/v1/declarations/{ident}")
    async def declaration(ident: str) -> dict[str, str]:
        if ident == "absente":
            raise HTTPException(404, "Déclaration introuvable.")
        return {"id": ident}

    @app.get("/api/v1/public-keys")
    async def cached() -> Response:
        return Response("{}", media_type="application/json", headers={"Cache-Control": "public, max-age=300"})

    @app.get("/framed")
    async def framed() -> Response:
        return Response("ok", headers={"X-Frame-Options": "SAMEORIGIN"})

    @app.get("/documents")
    async def documents() -> dict[str, str]:
        return {"ok": "oui"}

    @app.get("/api/v1/export")
    async def export() -> StreamingResponse:
        return StreamingResponse(iter([b"a;b\n", b"1;2\n"]), media_type="text/csv")

    app.add_middleware(SecurityHeadersMiddleware, **options)
    return app


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


STRICT = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
}


async def test_every_response_gets_the_strict_headers():
    async with client(make_app()) as http:
        page = await http.get("/")
        missing = await http.get("/nowhere")
        refused = await http.get("/api/v1/declarations/absente")
    for response in (page, missing, refused):
        for name, value in STRICT.items():
            assert response.headers.get_list(name) == [value], (response.request.url, name)
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "object-src 'none'" in CONTENT_SECURITY_POLICY and "img-src 'self' data:" in CONTENT_SECURITY_POLICY
    assert refused.status_code == 404 and refused.json() == {"detail": "Déclaration introuvable."}


async def test_api_responses_and_pages_are_not_stored_unless_the_route_says_otherwise():
    async with client(make_app()) as http:
        api = await http.get("/api/v1/declarations/d-1")
        error = await http.get("/api/v1/declarations/absente")
        streamed = await http.get("/api/v1/export")
        own = await http.get("/api/v1/public-keys")
        page = await http.get("/")
    assert api.headers.get_list("cache-control") == ["no-store"]
    assert error.headers.get_list("cache-control") == ["no-store"]
    assert streamed.headers.get_list("cache-control") == ["no-store"] and streamed.text == "a;b\n1;2\n"
    assert own.headers.get_list("cache-control") == ["public, max-age=300"]
    assert page.headers.get_list("cache-control") == ["no-store"]  # pages too: they show personal data


async def test_a_header_set_by_the_route_is_kept_and_not_duplicated():
    async with client(make_app()) as http:
        response = await http.get("/framed")
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_api_docs_keep_working_with_their_own_policy():
    async with client(make_app()) as http:
        docs = await http.get("/docs")
        redirect = await http.get("/docs/oauth2-redirect")
        redoc = await http.get("/redoc")
        lookalike = await http.get("/documents")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert docs.headers["content-security-policy"] == DOCS_CONTENT_SECURITY_POLICY
    # every script and stylesheet of the Swagger page is allowed by the relaxed policy
    assert "https://cdn.jsdelivr.net" in docs.text and "'unsafe-inline'" in DOCS_CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in DOCS_CONTENT_SECURITY_POLICY
    assert redirect.headers["content-security-policy"] == DOCS_CONTENT_SECURITY_POLICY
    assert redoc.headers["content-security-policy"] == REDOC_CONTENT_SECURITY_POLICY
    assert lookalike.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert docs.headers["x-frame-options"] == "DENY"


async def test_options_referrer_hsts_overrides_and_extra_headers():
    app = make_app(
        referrer_policy="strict-origin-when-cross-origin",
        hsts=None,
        csp_overrides={"/": "default-src 'self'; style-src 'self' 'sha256-abc'"},
        extra_headers={"Cross-Origin-Resource-Policy": "same-origin"},
    )
    async with client(app) as http:
        home = await http.get("/")
        docs = await http.get("/docs")
        other = await http.get("/documents")
    assert home.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in home.headers
    assert home.headers["cross-origin-resource-policy"] == "same-origin"
    # "/" covers the home page only; without the docs overrides /docs gets the strict policy
    assert home.headers["content-security-policy"] == "default-src 'self'; style-src 'self' 'sha256-abc'"
    assert other.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert docs.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_the_longest_override_wins_and_non_http_scopes_pass_through():
    middleware = SecurityHeadersMiddleware(make_app(), csp_overrides={"/a": "A", "/a/b/": "B"})
    assert middleware.policy_for("/a/x") == "A"
    assert middleware.policy_for("/a/b") == "B"
    assert middleware.policy_for("/a/b/c") == "B"
    assert middleware.policy_for("/ab") == CONTENT_SECURITY_POLICY

    seen = []

    async def inner(scope, receive, send):
        seen.append(scope["type"])

    await SecurityHeadersMiddleware(inner)({"type": "lifespan"}, None, None)
    assert seen == ["lifespan"]
