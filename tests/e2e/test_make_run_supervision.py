"""`make run` supervises: a service killed is started again and ready again; past the restart limit everything
stops, its own nats-server included (issue 15, point 8)."""

from __future__ import annotations

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


def test_a_killed_service_is_restarted_and_past_the_limit_everything_stops(tmp_path):
    ports = {s: free_port() for s in SERVICES}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFAS_")}  # its own nats-server and SQLite
    env.update({"AFAS_VAR_DIR": str(tmp_path), "AFAS_RUN_MAX_RESTARTS": "1", "AFAS_RUN_RESTART_WINDOW_SECONDS": "300"})
    for service, port in ports.items():
        env[f"AFAS_{service.upper()}_HTTP_PORT"] = str(port)
        env[f"AFAS_{service.upper()}_INTERNAL_PORT"] = str(free_port())
    launcher = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "run_local.py")],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = _Output(launcher.stdout)
    try:
        nats_port = int(re.search(r"nats://127\.0\.0\.1:(\d+)", output.wait_for("NATS : ", 30)).group(1))
        output.wait_for("Ctrl-C pour tout arrêter", 240)
        logs = {s: tmp_path / "logs" / f"{s}.log" for s in SERVICES}
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
