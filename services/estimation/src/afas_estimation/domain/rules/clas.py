"""CLAS: a share of the costs, capped per group of children and per school year.

The barème is read on 1 September of the school year declared (``2025-2026`` → 2025-09-01), not on 1 January.
"""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction

from afas_estimation.domain.inputs import Figures
from afas_estimation.domain.rules.computation import Computation
from afas_estimation.domain.rules.rule import Rule

_SCHOOL_YEAR = re.compile(r"(\d{4})\s*[-/]\s*(\d{4})")


def compute(c: Computation) -> Fraction:
    c.text("annee_scolaire")  # listed with the inputs used: it dates the barème
    share = c.step("Part des charges", c.amount("taux_ps") * c.number("total_charges"), "€", "taux × total des charges")
    cap = c.step(
        "Plafond par groupe",
        c.amount("montant_maximum_par_groupe") * c.number("groupes"),
        "€",
        "montant maximum × groupes",
    )
    return c.step("Prestation de service", min(share, cap), "€", "le plus petit de la part des charges et du plafond")


def school_year_start(exercice: int, figures: Figures) -> date:
    match = _SCHOOL_YEAR.fullmatch(str(figures["annee_scolaire"]))
    assert match, "checked by _check"
    return date(int(match.group(1)), 9, 1)


def _check(figures):
    text = figures.get("annee_scolaire")
    if text is None:
        return [], []
    match = _SCHOOL_YEAR.fullmatch(str(text))
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        return [], [("annee_scolaire", "année scolaire attendue sous la forme 2025-2026.")]
    return [], []


RULE = Rule(
    family="clas",
    required=("annee_scolaire", "groupes", "total_charges"),
    positive=("total_charges",),
    compute=compute,
    check=_check,
    period_start=school_year_start,
)
