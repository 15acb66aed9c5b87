"""A service with bad settings stops at once with one line naming the variable; a service whose
database or broker is unreachable stays up, says it is not ready, and retries."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from afas_shared.local_nats import free_port


def _start(service: str, env: dict[str, str], tmp_path) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.startswith("AFAS_")}
    full.update({"AFAS_VAR_DIR": str(tmp_path), **env})
    return subprocess.Popen(
        [sys.executable, "-m", f"afas_{service}"], env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"AFAS_IDENTITY_HTTP_PORT": "quatre-vingts"}, "configuration error: AFAS_IDENTITY_HTTP_PORT:"),
        ({"AFAS_BUS_STREAM_REPLICAS": "9"}, "configuration error: AFAS_BUS_STREAM_REPLICAS:"),
        ({"AFAS_ENV": "production"}, "configuration error: AFAS_IDENTITY_DATABASE_URL is required in production"),
        (
            {"AFAS_ENV": "production", "AFAS_IDENTITY_DATABASE_URL": "postgresql://afas@127.0.0.1:1/identity"},
            "configuration error: AFAS_IDENTITY_NATS_PASSWORD is required in production",
        ),
        ({"AFAS_IDENTITY_DATABASE_URL": "mysql://x/y"}, "unsupported database URL scheme"),
        ({"AFAS_TELEMETRY_EXPORTER": "zipkin"}, "configuration error: AFAS_TELEMETRY_EXPORTER:"),
    ],
)
def test_bad_setting_stops_the_service_with_one_line_naming_it(env, expected, tmp_path):
    proc = _start("identity", env, tmp_path)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], err


def test_default_admin_secret_is_refused_outside_local_mode(tmp_path):
    proc = _start(
        "declaration",
        {
            "AFAS_ENV": "production",
            "AFAS_DECLARATION_DATABASE_URL": f"sqlite:///{tmp_path}/d.db",
            "AFAS_DECLARATION_NATS_PASSWORD": "its-own-nats-password",
        },
        tmp_path,
    )
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert err.strip() == (
        "configuration error: AFAS_DECLARATION_ADMIN_TOKEN must be set to a real secret outside local mode"
    )


@pytest.mark.parametrize(
    ("csrf_secret", "expected"),
    [
        (None, "AFAS_DECLARATION_CSRF_SECRET must be set to a real secret outside local mode"),
        ("the-operators-own-secret", "AFAS_DECLARATION_CSRF_SECRET must differ from AFAS_DECLARATION_ADMIN_TOKEN"),
    ],
)
def test_the_csrf_key_is_a_secret_of_its_own_outside_local_mode(csrf_secret, expected, tmp_path):
    env = {
        "AFAS_ENV": "production",
        "AFAS_DECLARATION_DATABASE_URL": f"sqlite:///{tmp_path}/d.db",
        "AFAS_DECLARATION_NATS_PASSWORD": "its-own-nats-password",
        "AFAS_DECLARATION_ADMIN_TOKEN": "the-operators-own-secret",
    }
    if csrf_secret is not None:
        env["AFAS_DECLARATION_CSRF_SECRET"] = csrf_secret
    proc = _start("declaration", env, tmp_path)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert err.strip() == f"configuration error: {expected}"


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())
    except OSError:
        return 0, {}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens once the socket is closed


def test_unreachable_database_and_broker_mean_not_ready_not_a_crash(tmp_path):
    port = free_port()
    proc = _start(
        "identity",
        {
            "AFAS_IDENTITY_HTTP_PORT": str(port),
            "AFAS_IDENTITY_INTERNAL_PORT": str(free_port()),
            "AFAS_IDENTITY_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{_closed_port()}/nowhere",
            "AFAS_NATS_URL": f"nats://127.0.0.1:{_closed_port()}",
        },
        tmp_path,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _get(f"http://127.0.0.1:{port}/healthz")[0] != 200:
            time.sleep(0.2)
        time.sleep(2)  # several retry rounds
        assert proc.poll() is None, "the service must keep running and retrying"
        assert _get(f"http://127.0.0.1:{port}/healthz") == (200, {"status": "ok"})
        status, body = _get(f"http://127.0.0.1:{port}/readyz")
        assert status == 503
        assert body == {"ready": False, "checks": {"database": False, "broker": False, "keys": False}}
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert "database migration failed" in err and "retrying" in err


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0


def test_internal_routes_and_metrics_are_served_on_the_internal_port_only(tmp_path):
    public, internal = free_port(), free_port()
    proc = _start(
        "habilitation",
        {
            "AFAS_HABILITATION_HTTP_PORT": str(public),
            "AFAS_HABILITATION_INTERNAL_PORT": str(internal),
            "AFAS_NATS_URL": f"nats://127.0.0.1:{_closed_port()}",
        },
        tmp_path,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
            _status(f"http://127.0.0.1:{public}/healthz") != 200
            or _status(f"http://127.0.0.1:{internal}/internal/v1/users") != 200  # once the database is migrated
        ):
            time.sleep(0.2)
        assert _get(f"http://127.0.0.1:{internal}/internal/v1/users") == (200, [])
        assert _status(f"http://127.0.0.1:{public}/metrics") == 404
        assert _status(f"http://127.0.0.1:{public}/internal/v1/users") == 404
        assert _status(f"http://127.0.0.1:{internal}/metrics") == 200
        assert _status(f"http://127.0.0.1:{internal}/healthz") == 200
        assert _status(f"http://127.0.0.1:{internal}/readyz") == 503  # the broker is unreachable here
    finally:
        proc.terminate()  # SIGTERM stops both servers, and the runtime once
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert not any(_status(f"http://127.0.0.1:{p}/healthz") for p in (public, internal))
