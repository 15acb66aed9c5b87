"""Only the listed proxies' X-Forwarded-For is believed; with none listed (the default), nobody's."""

from __future__ import annotations

import uvicorn

from afas_shared.entrypoint import proxy_options
from afas_shared.settings import ServiceSettings


async def _seen_client(options: dict, peer: str, forwarded: str) -> str:
    seen = {}

    async def app(scope, receive, send):
        seen["client"] = scope["client"][0]
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    config = uvicorn.Config(app, lifespan="off", log_config=None, **options)
    config.load()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [(b"x-forwarded-for", forwarded.encode())],
        "client": (peer, 40000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    await config.loaded_app(scope, receive, send)
    return seen["client"]


async def test_by_default_no_forwarded_for_is_believed_not_even_from_localhost(monkeypatch):
    settings = ServiceSettings()
    assert settings.forwarded_allow_ips == []
    options = proxy_options(settings)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # uvicorn's own variable must not open it either
    assert await _seen_client(options, "127.0.0.1", "203.0.113.7") == "127.0.0.1"
    assert await _seen_client(options, "10.0.0.9", "203.0.113.7") == "10.0.0.9"


async def test_a_listed_proxy_network_is_believed_and_no_one_else(monkeypatch):
    monkeypatch.setenv("AFAS_TEST_FORWARDED_ALLOW_IPS", '["10.0.0.0/24"]')

    class Settings(ServiceSettings):
        model_config = {**ServiceSettings.model_config, "env_prefix": "AFAS_TEST_"}

    options = proxy_options(Settings())
    assert await _seen_client(options, "10.0.0.9", "203.0.113.7") == "203.0.113.7"
    assert await _seen_client(options, "192.0.2.50", "203.0.113.7") == "192.0.2.50"  # not a listed proxy
