"""`make reset-demo` and `make stop` (issue 18, point 10) on the local state of `make run` — its own nats-server
and SQLite files under AFAS_VAR_DIR, which is what they act on: a change made on the demo is gone after the reset,
the demo data are loaded anew, the printed paths are those of AFAS_VAR_DIR, and a reset is refused while the
platform runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

from afas_shared.local_nats import free_port
from tests.e2e.test_make_run_supervision import _Output

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")
AGENT, PASSWORD = "100000001", "Demo-Afas-2026!"
STRAY = {"type_activite": "rpe", "exercice": 2031, "type_declaration": "reelle"}


def _call(method: str, url: str, body: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=15) as resp:
        return resp.status, json.loads(resp.read() or b"null")


def _agent(gateway: str) -> str:
    return _call("POST", f"{gateway}/api/v1/auth/login", {"identifiant": AGENT, "mot_de_passe": PASSWORD})[1]["jeton"]


def _campaigns(gateway: str) -> set[tuple]:
    _, found = _call("GET", f"{gateway}/api/v1/campaigns", token=_agent(gateway))
    return {(c["type_activite"], c["exercice"], c["type_declaration"]) for c in found}


def _tool(name: str, env: dict, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / name)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(env: dict, cwd: Path, launcher: subprocess.Popen) -> str:
    stopped = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "stop_local.py")], env=env, cwd=cwd, capture_output=True, text=True
    )
    assert stopped.returncode == 0 and "Plateforme arrêtée" in stopped.stdout, stopped.stdout + stopped.stderr
    launcher.wait(timeout=30)
    return stopped.stdout


def test_reset_demo_wipes_the_local_state_and_loads_the_demo_again(tmp_path):
    state = tmp_path / "etat"
    ports = {s: free_port() for s in SERVICES}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFAS_")}  # its own nats-server and SQLite
    env["AFAS_VAR_DIR"] = str(state)
    for service, port in ports.items():
        env[f"AFAS_{service.upper()}_HTTP_PORT"] = str(port)
        env[f"AFAS_{service.upper()}_INTERNAL_PORT"] = str(free_port())
    gateway = f"http://127.0.0.1:{ports['declaration']}"

    launcher = _tool("run_local.py", env, tmp_path)
    try:
        output = _Output(launcher.stdout)
        output.wait_for("Ctrl-C pour tout arrêter", 240)
        printed = "".join(output.lines)
        # the paths printed are AFAS_VAR_DIR's, relative to where make was typed
        assert "courriels : etat/mails/" in printed and "journaux : etat/logs/" in printed, printed
        assert "var/" not in printed, printed
        # the agent changes the demo: a campaign of its own
        opened = {**STRAY, "date_ouverture": "2031-01-02", "date_limite": "2031-03-31"}
        assert _call("POST", f"{gateway}/api/v1/campaigns", opened, _agent(gateway))[0] == 202
        assert tuple(STRAY.values()) in _campaigns(gateway)
        # no reset under a running platform
        refused = subprocess.run(
            [sys.executable, str(ROOT / "tools" / "reset_demo.py")],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert refused.returncode != 0 and "La plateforme tourne sur etat/" in refused.stderr, refused.stderr
        assert (state / "declaration.db").exists()
    finally:
        if launcher.poll() is None:
            _stop(env, tmp_path, launcher)
    assert launcher.returncode == 0 and not (state / "run.pid").exists()
    (state / "a-garder.txt").write_text("not the platform's")  # AFAS_VAR_DIR may hold other things

    reset = _tool("reset_demo.py", env, tmp_path)
    try:
        output = _Output(reset.stdout)
        wiped = output.wait_for("État local effacé dans etat/", 30)
        for entry in ("declaration.db", "identity.db", "nats,", "mails", "logs", "csrf-secret"):
            assert entry in wiped, wiped
        output.wait_for("Ctrl-C pour tout arrêter", 240)
        # the demo is back (logins, the demo campaigns), the agent's own campaign is gone
        campaigns = _campaigns(gateway)
        assert tuple(STRAY.values()) not in campaigns and len(campaigns) == 4, campaigns
        assert re.search(r"^  - 200000002 — ", "".join(output.lines), re.M)
    finally:
        if reset.poll() is None:
            _stop(env, tmp_path, reset)
    assert reset.returncode == 0
    assert (state / "a-garder.txt").read_text() == "not the platform's"
    nothing = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "stop_local.py")], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert "Aucune plateforme ne tourne sur etat/" in nothing.stdout
