"""``make run``'s own broker (tools/run_local.py): authenticated, credentials generated once (0600) and reused; the
gateway's CSRF key likewise."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
from pathlib import Path

import nats
import pytest

ROOT = Path(__file__).resolve().parents[2]
_TOOL_MODULES = ("local_state", "demo_catalogue", "mail_sink")


@pytest.fixture
def run_local(tmp_path, monkeypatch):
    monkeypatch.setenv("AFAS_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("AFAS_NATS_URL", raising=False)
    monkeypatch.delenv("AFAS_BUS_PREFIX", raising=False)
    monkeypatch.delenv("AFAS_DECLARATION_CSRF_SECRET", raising=False)
    monkeypatch.syspath_prepend(str(ROOT / "tools"))
    for cached in _TOOL_MODULES:  # local_state reads AFAS_VAR_DIR once, at import: each test its own directory
        monkeypatch.delitem(sys.modules, cached, raising=False)
    spec = importlib.util.spec_from_file_location("run_local_under_test", ROOT / "tools" / "run_local.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("run_local_under_test", None)


async def _connects(url: str, **credentials) -> bool:
    try:
        nc = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2, **credentials)
    except Exception:
        return False
    await nc.close()
    return True


def _start(run_local):
    (run_local.VAR / "logs").mkdir(parents=True, exist_ok=True)  # as main() does
    platform = run_local.Platform()
    platform.start_nats()
    return platform


def test_make_run_starts_nats_with_a_credential_per_service_and_keeps_them(run_local, tmp_path):
    platform = _start(run_local)
    try:
        env = platform.env
        url = env["AFAS_NATS_URL"]
        auth_dir = tmp_path / "nats-auth"
        stored = json.loads((auth_dir / "credentials.json").read_text())
        for path in auth_dir.iterdir():
            assert path.stat().st_mode & 0o077 == 0, path
        for service in ("identity", "habilitation", "declaration", "estimation", "notification"):
            assert env[f"AFAS_{service.upper()}_NATS_PASSWORD"] == stored[service]
        assert not asyncio.run(_connects(url))
        assert asyncio.run(_connects(url, user="identity", password=stored["identity"]))
    finally:
        platform.stop()

    again = _start(run_local)  # a restart: same passwords, still accepted
    try:
        assert json.loads((tmp_path / "nats-auth" / "credentials.json").read_text()) == stored
        assert asyncio.run(_connects(again.env["AFAS_NATS_URL"], user="declaration", password=stored["declaration"]))
    finally:
        again.stop()


def test_with_an_external_broker_the_user_gives_the_credentials(run_local, monkeypatch, tmp_path):
    monkeypatch.setenv("AFAS_NATS_URL", "nats://broker.example:4222")
    platform = _start(run_local)
    assert platform.nats is None
    assert platform.env.get("AFAS_IDENTITY_NATS_PASSWORD") == os.environ.get("AFAS_IDENTITY_NATS_PASSWORD")
    assert not (tmp_path / "nats-auth").exists()


def test_make_run_makes_the_csrf_key_once_and_keeps_it(run_local, monkeypatch, tmp_path):
    first = run_local.Platform()
    first.make_local_secrets()
    key = first.env["AFAS_DECLARATION_CSRF_SECRET"]
    path = tmp_path / "csrf-secret"
    assert path.read_text().strip() == key and path.stat().st_mode & 0o077 == 0
    assert len(key) >= 32 and key != run_local.LOCAL_ADMIN_TOKEN
    again = run_local.Platform()  # a restart: the same key, so open pages keep their CSRF tokens
    again.make_local_secrets()
    assert again.env["AFAS_DECLARATION_CSRF_SECRET"] == key

    monkeypatch.setenv("AFAS_DECLARATION_CSRF_SECRET", "the-users-own-csrf-secret")
    given = run_local.Platform()
    given.make_local_secrets()
    assert given.env["AFAS_DECLARATION_CSRF_SECRET"] == "the-users-own-csrf-secret"
