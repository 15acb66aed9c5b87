"""Where ``make run`` keeps its local state, and what ``make reset-demo`` wipes and ``make stop`` stops.

Everything lives under ``AFAS_VAR_DIR`` (``var/`` at the repository's root unless set): the services' SQLite files,
the local nats-server's JetStream store and per-service passwords, the gateway's CSRF key, the mails the local box
kept and the logs. ``run.pid`` there names the running launcher while it runs, so a reset never pulls the files from
under a running platform and ``make stop`` knows whom to stop. Only these known entries are ever removed: a
directory given as ``AFAS_VAR_DIR`` may hold other things.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = Path(os.environ.get("AFAS_VAR_DIR", ROOT / "var")).resolve()
SERVICES = ("declaration", "identity", "habilitation", "estimation", "notification")
PID_FILE = VAR / "run.pid"
STATE_DIRS = ("nats", "nats-auth", "mails", "logs")
STATE_FILES = ("csrf-secret",)
SQLITE_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal")


def shown(path: Path, directory: bool = True) -> str:
    """A path as printed to the person who typed ``make``: relative to where they are when it is below, else whole;
    a directory ends with « / »."""
    try:
        text = str(path.relative_to(Path.cwd()))
    except ValueError:
        text = str(path)
    return text + "/" if directory else text


def running_pid() -> int | None:
    """The launcher running on this state, if any (a file left by a launcher that was killed counts for nothing)."""
    try:
        pid = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid  # alive, under another user
    return pid


def claim() -> None:
    PID_FILE.parent.mkdir(parents=True, exist_ok=True)
    PID_FILE.write_text(f"{os.getpid()}\n")


def release() -> None:
    if running_pid() == os.getpid():
        PID_FILE.unlink(missing_ok=True)


def state_entries() -> list[Path]:
    """The local state present now: what a reset removes."""
    found = [VAR / name for name in (*STATE_DIRS, *STATE_FILES) if (VAR / name).exists()]
    found += [VAR / f"{s}{suffix}" for s in SERVICES for suffix in SQLITE_SUFFIXES if (VAR / f"{s}{suffix}").exists()]
    return found


def wipe() -> list[Path]:
    removed = state_entries()
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    return removed
