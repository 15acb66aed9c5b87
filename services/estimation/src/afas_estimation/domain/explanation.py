"""French rendering of figures, units and an estimate (the labels users read; identifiers stay English)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from afas_estimation.domain.parameters.model import Resolved, Value
from afas_estimation.domain.result import ROUNDING, Estimate, Step
from afas_shared.french_plural import unit_for

NBSP = "\u00a0"
# Display only: intermediate figures are shown to 4 decimals; the computation itself is never rounded before the end.
_DISPLAY = Decimal("0.0001")


def plain(value: Value | str) -> str:
    """A machine-readable value: booleans as true/false, decimals without exponent or trailing zeros."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        exponent = cast(int, value.as_tuple().exponent)  # a figure shown is finite: an int exponent
        shown = value.quantize(_DISPLAY, rounding=ROUND_HALF_UP) if exponent < -4 else value
        text = format(shown, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def french(value: Value | str, unit: str = "") -> str:
    """``Decimal("12345.6"), "€"`` → ``12 345,60 €``; a ratio unit ``/1`` is shown as a percentage."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if not isinstance(value, Decimal):
        return str(value)
    if unit == "/1":
        value, unit = value * 100, "%"
    digits = 2 if unit.startswith("€") else None
    number = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP) if digits else Decimal(plain(value))
    sign, text = ("-", format(-number, "f")) if number < 0 else ("", format(number, "f"))
    whole, _, decimals = text.partition(".")
    grouped = f"{int(whole):,}".replace(",", NBSP)
    shown = sign + grouped + ("," + decimals if decimals else "")
    return f"{shown}{NBSP}{unit_for(number, unit)}" if unit else shown  # « 1 place », « 4 places »


def step_json(step: Step) -> dict[str, Any]:
    return {
        "libelle": step.label,
        "valeur": plain(step.value),
        "unite": step.unit,
        "affichage": french(step.value, step.unit),
        "formule": step.formula,
        "bonus": step.bonus,
    }


def parameter_json(parameter: Resolved) -> dict[str, Any]:
    return {
        "nom": parameter.name,
        "libelle": parameter.label,
        "valeur": plain(parameter.value),
        "unite": parameter.unit,
        "affichage": french(parameter.value, parameter.unit),
        "applicable_depuis": parameter.since.isoformat(),
        "provenance": parameter.reference,
        "provenance_detail": parameter.source.as_json() if parameter.source is not None else None,
        "source": parameter.sourced,
        "provisoire": parameter.provisional,
    }


def estimate_json(estimate: Estimate) -> dict[str, Any]:
    """The JSON answer of the ``estimate`` request (keys in French: they are shown as they are)."""
    return {
        "famille": estimate.family,
        "nature": estimate.nature,
        "exercice": estimate.exercice,
        "montant": format(estimate.amount, "f"),
        "montant_affiche": french(estimate.amount, "€"),
        "arrondi": ROUNDING,
        "provisoire": estimate.provisional,
        "partielle": bool(estimate.uncomputed_parts),
        "parties_non_calculees": estimate.uncomputed_parts,
        # codes for API clients; the labels (same order) are what a partner may be shown
        "parametres_manquants": estimate.missing_parameters,
        "parametres_manquants_libelles": [p.label for p in estimate.parameters if p.provisional],
        "parametres_non_sources": estimate.unsourced_parameters,
        "parametres_non_sources_libelles": [p.label for p in estimate.parameters if not p.sourced],
        "avertissements": warnings(estimate),
        "etapes": [step_json(s) for s in estimate.steps],
        "parametres": [parameter_json(p) for p in estimate.parameters],
        "entrees": {name: plain(value) for name, value in estimate.inputs.items()},
    }


def warnings(estimate: Estimate) -> list[str]:
    """What the partner must know about the barème behind the amount, in plain French (no parameter code)."""
    found = []
    for p in estimate.parameters:
        if p.backfilled:
            found.append(
                f"Estimation provisoire : la valeur « {p.label} » n'est pas connue pour {estimate.exercice} ; la plus "
                f"ancienne valeur connue (applicable depuis le {p.since.strftime('%d/%m/%Y')}) a été retenue."
            )
        elif p.provisional:
            found.append(
                f"Estimation provisoire : la valeur « {p.label} » n'est pas encore connue pour "
                f"{estimate.exercice} ; la dernière valeur connue (applicable depuis le "
                f"{p.since.strftime('%d/%m/%Y')}) a été retenue."
            )
    if estimate.uncomputed_parts:
        found.append(
            "Estimation partielle : le montant ne comprend pas "
            + ", ".join(f"« {label} »" for label in estimate.uncomputed_parts)
            + ", faute des données nécessaires."
        )
    unsourced = [p.label for p in estimate.parameters if not p.sourced]
    if unsourced:
        found.append(
            "Cette estimation repose sur des valeurs dont la source publique n'a pas été trouvée et qui restent à "
            "confirmer par la Caf : " + " ; ".join(f"« {label} »" for label in unsourced) + "."
        )
    return found
