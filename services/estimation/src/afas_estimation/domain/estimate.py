"""Estimate the subsidy of one declaration: check the request, run the family's rule, round once, explain.

Order of checks, so that the user gets every problem at once rather than one per attempt: family, nature and
exercice first (they decide which rule and barème apply), then all figures together (every missing one listed,
every impossible one explained).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from afas_estimation.domain.errors import InvalidInputs, UnknownNature, UnknownPeriod
from afas_estimation.domain.inputs import read_figures
from afas_estimation.domain.parameters.loader import load_family
from afas_estimation.domain.parameters.model import FamilyParameters
from afas_estimation.domain.result import Estimate, to_cents
from afas_estimation.domain.rules.computation import ZERO, Computation
from afas_estimation.domain.rules.registry import rule_for

FIRST_EXERCICE, LAST_EXERCICE = 2000, 2100


def estimate(
    family: str,
    nature: str | None,
    exercice: Any,
    figures: Mapping[str, Any],
    parameters_dir: Path | str | None = None,
    *,
    bareme: FamilyParameters | None = None,
) -> Estimate:
    """``bareme``: the effective barème (file + Caf changes) when the caller resolved it; else the file's."""
    rule = rule_for(family)
    if bareme is None:
        bareme = load_family(family, parameters_dir)
    elif bareme.family != family:
        raise ValueError(f"barème of {bareme.family!r} given for {family!r}")
    nature = _nature(nature, bareme.natures)
    year = _exercice(exercice)
    values, problems = read_figures(figures)
    missing, more_problems = rule.validate(values)
    impossible = {field for field, _ in problems}
    missing = [field for field in missing if field not in impossible]  # sent but impossible: reported once, as such
    if missing or problems or more_problems:
        raise InvalidInputs(missing, problems + more_problems)
    computation = Computation(bareme, nature, rule.period_start(year, values), values)
    raw = rule.compute(computation)
    total = computation.step("Montant avant arrondi", max(raw, ZERO), "€", "somme de la prestation et des bonus")
    return Estimate(
        family=family,
        nature=nature,
        exercice=year,
        amount=to_cents(total),
        steps=tuple(computation.steps),
        parameters=tuple(computation.used.values()),
        inputs=dict(computation.inputs),
    )


def _nature(nature: str | None, natures: dict[str, str]) -> str:
    if not nature and len(natures) == 1:
        return next(iter(natures))
    if nature not in natures:
        raise UnknownNature(
            f"Nature d'activité inconnue pour ce type d'activité : {nature!r}. Natures possibles : "
            + ", ".join(sorted(natures))
            + ".",
            "nature",
        )
    return nature


def _exercice(exercice: Any) -> int:
    try:
        year = int(str(exercice).strip())
    except ValueError:
        raise UnknownPeriod(
            f"Exercice invalide : {exercice!r} (année attendue, par exemple 2025).", "exercice"
        ) from None
    if not FIRST_EXERCICE <= year <= LAST_EXERCICE:
        raise UnknownPeriod(f"Exercice hors des périodes connues : {year}.", "exercice")
    return year


__all__ = ["estimate"]
