"""PS ALSH: 30 % of the hourly cost within the ceiling × hours retained × régime-général share, plus extras.

Hours retained are the hours réalisées less the Wednesday hours beyond their cap (9 h per child-day with meal,
4 h per child-half-day). Extras, not prorated: the Plan mercredi bonus per new Wednesday hour retained, and the
complément inclusif per hour of children receiving the AEEH.
"""

from __future__ import annotations

from fractions import Fraction

from afas_estimation.domain.rules.computation import ZERO, Computation
from afas_estimation.domain.rules.rule import Rule, exceeds


def compute(c: Computation) -> Fraction:
    realised = c.number("heures_realisees")
    charges = c.number("total_charges")
    c.step(
        "Prix de revient horaire (pour information)", charges / realised, "€/h", "total des charges ÷ heures réalisées"
    )
    retained, wednesday_retained = _wednesday(c, realised)
    if retained != realised:
        charges = c.step(
            "Charges des heures retenues",
            charges * retained / realised,
            "€",
            "total des charges × heures retenues ÷ heures réalisées",
        )
    cap = c.step(
        "Plafond des charges retenues",
        c.amount("prix_plafond_horaire") * retained,
        "€",
        "prix plafond horaire × heures retenues",
    )
    kept = c.step("Charges retenues", min(charges, cap), "€", "le plus petit des charges et du plafond")
    base = c.step(
        "Prestation de service",
        c.amount("taux_ps") * kept * c.share("part_regime_general"),
        "€",
        "taux × charges retenues × part du régime général",
    )
    return base + _plan_mercredi(c, wednesday_retained) + _inclusif(c)


def _wednesday(c: Computation, realised: Fraction) -> tuple[Fraction, Fraction]:
    if not c.has("mercredi_heures"):
        return c.step("Heures retenues", realised, "h", "heures réalisées (pas d'heures du mercredi déclarées)"), ZERO
    days = c.optional("mercredi_journees_repas") or ZERO
    halves = c.optional("mercredi_demi_journees") or ZERO
    cap = c.step(
        "Plafond des heures du mercredi",
        days * c.amount("mercredi_heures_par_journee_repas") + halves * c.amount("mercredi_heures_par_demi_journee"),
        "h",
        "journées avec repas × heures par journée + demi-journées × heures par demi-journée",
    )
    wednesday = c.number("mercredi_heures")
    over = c.step("Heures du mercredi au-delà du plafond", max(wednesday - cap, ZERO), "h")
    retained = c.step(
        "Heures retenues", realised - over, "h", "heures réalisées − heures du mercredi au-delà du plafond"
    )
    return retained, min(wednesday, cap)


def _plan_mercredi(c: Computation, wednesday_retained: Fraction) -> Fraction:
    if not c.has("mercredi_heures_nouvelles"):
        return ZERO
    hours = c.step(
        "Heures nouvelles du mercredi retenues",
        min(c.number("mercredi_heures_nouvelles"), wednesday_retained),
        "h",
        "heures nouvelles, dans la limite des heures du mercredi retenues",
    )
    return c.bonus(
        "Bonification Plan mercredi",
        c.amount("bonus_plan_mercredi_horaire") * hours,
        "montant par heure × heures nouvelles",
    )


def _inclusif(c: Computation) -> Fraction:
    if not c.has("heures_aeeh"):
        return ZERO
    return c.bonus(
        "Complément inclusif",
        c.amount("complement_inclusif_horaire") * c.number("heures_aeeh"),
        "montant par heure × heures d'enfants bénéficiaires de l'AEEH",
    )


def _check(figures):
    missing = []
    if "mercredi_heures" in figures and not ({"mercredi_journees_repas", "mercredi_demi_journees"} & figures.keys()):
        missing = ["mercredi_journees_repas", "mercredi_demi_journees"]
    problems = (
        exceeds(figures, "mercredi_heures", "heures_realisees", "ne peut pas dépasser les heures réalisées.")
        + exceeds(figures, "heures_aeeh", "heures_realisees", "ne peut pas dépasser les heures réalisées.")
        + exceeds(
            figures, "mercredi_heures_nouvelles", "mercredi_heures", "ne peut pas dépasser les heures du mercredi."
        )
    )
    if "mercredi_heures_nouvelles" in figures and "mercredi_heures" not in figures:
        missing.append("mercredi_heures")
    return missing, problems


RULE = Rule(
    family="alsh",
    required=("heures_realisees", "part_regime_general", "total_charges"),
    positive=("heures_realisees", "total_charges"),
    compute=compute,
    check=_check,
)
