"""`make run`'s launcher on the test backends: five services up, demo data through the bus, the UI
answering, and Ctrl-C stopping every process it started."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from afas_shared.local_nats import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")


def _get(url: str):
    with urllib.request.urlopen(url, timeout=5) as resp:
        body = resp.read().decode()
        return resp.status, (json.loads(body) if resp.headers.get_content_type() == "application/json" else body)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def _login(gateway: str, identifier: str, password: str, forwarded_for: str) -> int:
    request = urllib.request.Request(
        f"{gateway}/api/v1/auth/login",
        method="POST",
        data=json.dumps({"identifiant": identifier, "mot_de_passe": password}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def _token(gateway: str, identifier: str) -> str:
    request = urllib.request.Request(
        f"{gateway}/api/v1/auth/login",
        method="POST",
        data=json.dumps({"identifiant": identifier, "mot_de_passe": "Demo-Afas-2026!"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())["jeton"]


def _get_with(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_launcher_brings_up_the_platform_and_ctrl_c_stops_it(backends, bus_prefix, tmp_path):
    ports = {s: free_port() for s in SERVICES}
    internal_ports = {s: free_port() for s in SERVICES}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFAS_")}
    env.update({"AFAS_VAR_DIR": str(tmp_path), "AFAS_NATS_URL": backends.nats_url, "AFAS_BUS_PREFIX": bus_prefix})
    for service, port in ports.items():
        env[f"AFAS_{service.upper()}_HTTP_PORT"] = str(port)
        env[f"AFAS_{service.upper()}_INTERNAL_PORT"] = str(internal_ports[service])
        env[f"AFAS_{service.upper()}_DATABASE_URL"] = backends.database_url(service)
    launcher = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "run_local.py")],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = launcher.stdout.readline()
            if not line:
                break
            output.append(line)
            if line.startswith("Ctrl-C pour tout arrêter"):
                break
        printed = "".join(output)
        assert "AFAS est prêt" in printed, printed
        gateway = re.search(r"AFAS est prêt : (http://[\d.:]+)/", printed).group(1)
        assert gateway == f"http://127.0.0.1:{ports['declaration']}"
        assert len(re.findall(r"^  - \d{9} — ", printed, re.M)) == 6  # demo logins printed
        assert "Demo-Afas-2026!" in printed

        status, report = _get(f"{gateway}/api/v1/status")
        assert status == 200 and report["status"] == "ok"
        backend = "sqlite" if backends.pg_admin_url is None else "postgresql"
        assert {(s["name"], s["database"], s["ready"]) for s in report["services"]} == {
            (s, backend, True) for s in SERVICES
        }
        status, page = _get(f"{gateway}/etat")
        assert status == 200 and "Tous les services sont opérationnels" in page

        # demo users crossed the bus into every service that keeps a copy
        for service in ("habilitation", "notification"):
            _, users = _get(f"http://127.0.0.1:{internal_ports[service]}/internal/v1/users")
            assert len(users) == 6, (service, users)
        # ... on the internal port only: the public gateway does not serve the directory nor the metrics
        assert _status(f"{gateway}/internal/v1/users") == 404
        assert _status(f"{gateway}/metrics") == 404
        # the demo catalogue: grants in place, the LAEP left "Non attribué"
        agent = _token(gateway, "100000001")
        holes = _get_with(f"{gateway}/api/v1/grants?etat=Non%20attribu%C3%A9", agent)
        assert {(h["activite"], h["role"]) for h in holes} == {
            ("LAEP Petits Pas", "fda"),
            ("LAEP Petits Pas", "fdf"),
            ("LAEP Petits Pas", "approbateur"),
        }
        active = _get_with(f"{gateway}/api/v1/grants?etat=Actif", agent)
        assert len(active) == 10 and {g["role"] for g in active} == {"fda", "fdf", "approbateur"}

        # a few mistyped identifiers never lock the others behind the same address (an office behind one NAT);
        # no proxy is trusted locally, so X-Forwarded-For changes nothing (shared/tests/test_forwarded_for.py)
        for identifier in ("111111111", "222222222", "333333333"):
            assert _login(gateway, identifier, "Mauvais-1", forwarded_for="203.0.113.7") == 401
        assert _login(gateway, "200000002", "Demo-Afas-2026!", forwarded_for="203.0.113.7") == 200

        # the demo opens next year's forecast campaign: Karim has declarations to fill, the pages answer
        karim = _token(gateway, "200000002")
        assert len(_get_with(f"{gateway}/api/v1/declarations", karim)["elements"]) >= 2
        status, page = _get(f"{gateway}/connexion")
        assert status == 200 and "Connexion à votre espace partenaire" in page
        # notices of the demo grants reach the local mail box
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not list((tmp_path / "mails").glob("*.eml")):
            time.sleep(0.3)
        mails = [m.read_text(errors="replace") for m in (tmp_path / "mails").glob("*.eml")]
        assert mails and any("Subject:" in m for m in mails)

        _, metrics = _get(f"http://127.0.0.1:{internal_ports['identity']}/metrics")
        assert re.search(r'afas_outbox_published_total\{service="identity"\} \d\d', metrics)
    finally:
        launcher.send_signal(signal.SIGINT)
        rest, _ = launcher.communicate(timeout=30)
    assert launcher.returncode == 0, "".join(output) + rest
    assert "Arrêt de la plateforme" in rest
    assert not any(_listening(p) for p in [*ports.values(), *internal_ports.values()]), "a service outlived Ctrl-C"
