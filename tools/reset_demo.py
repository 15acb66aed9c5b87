"""``make reset-demo``: back to a fresh demonstration — the local state under ``AFAS_VAR_DIR`` (SQLite files,
JetStream store, local passwords and CSRF key, mails, logs) removed, then the platform started again as ``make run``
does, which loads the demo accounts, catalogue, grants and campaigns anew.

Refused while the platform runs on that state (``make stop`` first), and when the databases or the broker are not
local (``AFAS_<SERVICE>_DATABASE_URL``, ``AFAS_NATS_URL``): their content is not this tool's to delete.
"""

from __future__ import annotations

import os
import sys

import local_state
import run_local
from local_state import VAR, shown


def refusal() -> str | None:
    if (pid := local_state.running_pid()) is not None:
        return f"La plateforme tourne sur {shown(VAR)} (processus {pid}) : arrêtez-la d'abord (make stop)."
    external = sorted(k for k in os.environ if k == "AFAS_NATS_URL" or k.endswith("_DATABASE_URL") and os.environ[k])
    if external:
        return "Réinitialisation de l'état local seulement ; ces réglages désignent un état extérieur : " + ", ".join(
            external
        )
    return None


def main() -> None:
    if (reason := refusal()) is not None:
        raise SystemExit(reason)
    removed = local_state.wipe()
    if removed:
        print(f"État local effacé dans {shown(VAR)} : " + ", ".join(p.name for p in removed))
    else:
        print(f"Aucun état local dans {shown(VAR)} : démarrage sur une démonstration neuve.")
    sys.stdout.flush()
    run_local.main()


if __name__ == "__main__":
    main()
