"""Accounts are nominative: an obvious shared mailbox (contact@, accueil@…) is refused as a user's address.

Only the local part is judged, case-insensitively, without its "+tag", and with trailing digits ignored
(contact2@ is as shared as contact@). Dots and underscores count as hyphens ("centre_social", "no.reply").
"""

from __future__ import annotations

import re
import unicodedata

SHARED_LOCAL_PARTS = frozenset(
    {
        "contact",
        "accueil",
        "info",
        "infos",
        "secretariat",
        "secretariat-general",
        "direction",
        "admin",
        "administration",
        "mairie",
        "compta",
        "comptabilite",
        "noreply",
        "no-reply",
        "bonjour",
        "hello",
        "service",
        "rh",
        "standard",
        "office",
        "support",
        "courrier",
        "general",
        "creche",
        "multiaccueil",
        "alsh",
        "centre-social",
        "relais",
        "ram",
        "rpe",
        "laep",
        "periscolaire",
        "association",
        "president",
        "tresorier",
        "gestion",
        "facturation",
    }
)

_TRAILING_DIGITS = re.compile(r"[0-9]+$")


def _normalized(local: str) -> str:
    local = local.split("+", 1)[0]
    # "secrétariat" happens in internationalised addresses
    decomposed = unicodedata.normalize("NFKD", local)
    local = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    local = local.replace(".", "-").replace("_", "-")
    return _TRAILING_DIGITS.sub("", local)


def shared_mailbox_problem(email: str) -> str | None:
    local = email.rpartition("@")[0] or email
    if _normalized(local) in SHARED_LOCAL_PARTS:
        return (
            f"Le compte doit être nominatif : « {local}@… » est une boîte partagée. "
            "Indiquez l'adresse personnelle de l'utilisateur."
        )
    return None
