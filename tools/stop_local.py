"""``make stop``: stops the platform ``make run`` started on this ``AFAS_VAR_DIR`` (from another terminal), as
Ctrl-C would: its launcher stops every service, its nats-server and its mail box, then exits."""

from __future__ import annotations

import os
import signal
import time

import local_state
from local_state import VAR, shown

WAIT_SECONDS = 30  # the launcher gives the services 10 s, then the broker and the mail box theirs


def main() -> None:
    pid = local_state.running_pid()
    if pid is None:
        print(f"Aucune plateforme ne tourne sur {shown(VAR)}.")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + WAIT_SECONDS
    while local_state.running_pid() == pid and time.monotonic() < deadline:
        time.sleep(0.2)
    if local_state.running_pid() == pid:
        raise SystemExit(f"La plateforme (processus {pid}) ne s'est pas arrêtée en {WAIT_SECONDS} s.")
    print(f"Plateforme arrêtée (processus {pid}).")


if __name__ == "__main__":
    main()
