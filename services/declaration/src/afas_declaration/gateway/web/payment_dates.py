"""When a payment is made, as the Caf 92 calendar of its partners presents it (seed 001, « Paiements »): each
advance, balance and top-up with its rate and its date of payment — the date it was paid, or the event it waits
for (« Dès validation de votre déclaration prévisionnelle par la Caf »; the 2nd advance « en même temps que le
paiement du solde » of the year before). The schedule is estimation's: its ``date`` once paid, its ``declencheur``
(the validation a payment waits for, in French) until then; this module only phrases them for the page.
"""

from __future__ import annotations

from typing import Any

from afas_declaration.gateway.web.pages import french_date


def payment_date(payment: dict[str, Any]) -> str:
    """« Versé le 12/03/2026 », or the moment a payment still to come is planned for."""
    if payment.get("statut") == "verse" and payment.get("date"):
        return f"Versé le {french_date(payment['date'])}"
    trigger = payment.get("declencheur") or ""
    when = f"Dès {trigger} par la Caf" if trigger.startswith("validation") else "Date non connue"
    if payment.get("type") == "acompte_2" and trigger.startswith("validation de la déclaration réelle"):
        year = trigger.rsplit(" ", 1)[-1]
        return f"En même temps que le paiement du solde {year} : {when[0].lower()}{when[1:]}"
    return when


def payment_line(payment: dict[str, Any]) -> dict[str, Any]:
    """One row of the page's payment table: what, how it is computed, when, how much, paid or to come."""
    return {
        "libelle": payment["libelle"],
        "calcul": payment.get("explication") or "",
        "date": payment_date(payment),
        "montant": payment["montant"],
        "etat": payment["statut_libelle"],
    }
