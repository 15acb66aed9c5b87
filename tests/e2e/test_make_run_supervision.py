"""`make run` supervises: a service killed is started again and ready again; past the restart limit everything
stops, its own nats-server included (issue 15, point 8). Then `make reset-demo` and `make stop` (issue 18, point 10)
on the local state that platform left — its own nats-server and SQLite files under AFAS_VAR_DIR, which is what they
act on: a change made on the demo is gone after the reset, the demo data are loaded anew, the printed paths are those
of AFAS_VAR_DIR, a reset is refused while the platform runs, and `make stop` stops the platform the reset started.

One test, one first start of the platform: the reset needs a platform that ran, changed its demo and stopped, which
the supervision's run gives (the platform stopping past its restart limit as `make stop` would leave it)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from afas_shared.local_nats import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")
AGENT, PASSWORD = "100000001", "Demo-Afas-2026!"
STRAY = {"type_activite": "rpe", "exercice": 2031, "type_declaration": "reelle"}


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _pid(log: Path) -> int:
    return int(re.findall(r"Started server process \[(\d+)\]", log.read_text(errors="replace"))[-1])


class _Output:
    """The launcher's output, read in the background so waiting for a line never blocks the test."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if text in line:
                    return line
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not printed within {timeout}s:\n{''.join(self.lines)}")


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


def test_a_killed_service_is_restarted_past_the_limit_everything_stops_and_reset_demo_starts_anew(tmp_path):
    state = tmp_path / "etat"
    ports = {s: free_port() for s in SERVICES}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFAS_")}  # its own nats-server and SQLite
    env.update({"AFAS_VAR_DIR": str(state), "AFAS_RUN_MAX_RESTARTS": "1", "AFAS_RUN_RESTART_WINDOW_SECONDS": "300"})
    for service, port in ports.items():
        env[f"AFAS_{service.upper()}_HTTP_PORT"] = str(port)
        env[f"AFAS_{service.upper()}_INTERNAL_PORT"] = str(free_port())
    gateway = f"http://127.0.0.1:{ports['declaration']}"
    launcher = _tool("run_local.py", env, tmp_path)
    output = _Output(launcher.stdout)
    try:
        nats_port = int(re.search(r"nats://127\.0\.0\.1:(\d+)", output.wait_for("NATS : ", 30)).group(1))
        output.wait_for("Ctrl-C pour tout arrêter", 240)
        printed = "".join(output.lines)
        # the paths printed are AFAS_VAR_DIR's, relative to where make was typed
        assert "courriels : etat/mails/" in printed and "journaux : etat/logs/" in printed, printed
        assert "var/" not in printed, printed
        logs = {s: state / "logs" / f"{s}.log" for s in SERVICES}
        # Quiet at idle: no per-message or task-supervision lines at INFO, no ERROR traceback for a start-up retry.
        time.sleep(5)
        before = {s: len(p.read_text().splitlines()) for s, p in logs.items()}
        time.sleep(15)
        idle = {s: p.read_text().splitlines()[before[s] :] for s, p in logs.items()}
        assert all(len(lines) <= 40 for lines in idle.values()), {s: len(lines) for s, lines in idle.items()}
        every = [line for p in logs.values() for line in p.read_text().splitlines()]
        assert not [line for line in every if '"logger": "afas.bus.' in line and '"level": "INFO"' in line]
        errors = [line for line in every if '"level": "ERROR"' in line]
        assert not errors, errors[:3]

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

        log = logs["estimation"]
        first = _pid(log)
        os.kill(first, signal.SIGKILL)
        output.wait_for("estimation s'est arrêté (code -9) : redémarrage 1/1", 30)
        output.wait_for("estimation est de nouveau prêt", 90)
        assert _ready(ports["estimation"]) and _pid(log) != first
        assert launcher.poll() is None

        os.kill(_pid(log), signal.SIGKILL)  # once more within the window: past the limit
        launcher.wait(timeout=60)
        assert launcher.returncode == 1
        output.wait_for("arrêt de la plateforme", 5)
        time.sleep(0.5)
        assert not [s for s, p in ports.items() if _listening(p)], "every service stopped"
        assert not _listening(nats_port), "its nats-server stopped too"
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGTERM)
            launcher.wait(timeout=30)
    assert not (state / "run.pid").exists()
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
    assert reset.returncode == 0 and not (state / "run.pid").exists()
    assert (state / "a-garder.txt").read_text() == "not the platform's"
    nothing = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "stop_local.py")], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert "Aucune plateforme ne tourne sur etat/" in nothing.stdout
