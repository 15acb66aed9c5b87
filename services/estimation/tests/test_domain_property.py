"""The engine against an independent, straightforward computation, on random inputs, for every family.

The reference below re-reads the barème files on its own (value in force on the date, else — from 2019, for a
yearly-revalued parameter — the earliest one) and writes each published formula in the plainest way, in exact
rationals, rounded once, half up, to the cent. Any difference is a bug in one of the two. Every part of a rule is
compared, bonuses included: PSU mixité, inclusion and territoire (with a Caf's amount per new place), ALSH with
the Wednesday cap, the Plan mercredi bonus and the complément inclusif.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from fractions import Fraction as F
from functools import partial

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afas_estimation.domain.errors import InvalidInputs
from afas_estimation.domain.estimate import estimate
from afas_estimation.domain.parameters.loader import load_family
from afas_estimation.domain.parameters.local import LocalValue, with_local
from afas_estimation.domain.parameters.model import Provenance
from afas_estimation.domain.rules.registry import RULES

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
YEARS = st.integers(min_value=2019, max_value=2026)


def cents(x: F) -> Decimal:
    return Decimal(math.floor(x * 100 + F(1, 2))) / 100


def money(low=0, high=500_000):
    return st.decimals(min_value=low, max_value=high, places=2, allow_nan=False, allow_infinity=False)


def count(low=0, high=50_000):
    return st.integers(min_value=low, max_value=high)


class Bareme:
    def __init__(self, family: str, on: date, nature: str = "") -> None:
        self.parameters, self.on, self.nature = load_family(family).parameters, on, nature

    def has(self, name: str) -> bool:
        try:
            self(name)
        except LookupError:
            return False
        return True

    def __call__(self, name: str):
        p = self.parameters[name]
        series = p.by_nature.get(self.nature) or p.values
        before = [v for v in series if v.start <= self.on]
        if before:
            value = before[-1].value
        elif p.annual and self.on >= date(2019, 1, 1):
            value = series[0].value
        else:
            raise LookupError(name)
        return value if isinstance(value, bool) else F(value)


def psu(b: Bareme, x: dict, new_place_amount: F) -> F:
    """``new_place_amount``: the Caf's local amount per new place of the bonus territoire (its own parameter)."""
    realised, billed, charges = F(x["heures_realisees"]), F(x["heures_facturees"]), F(x["total_charges"])
    fees, places = F(x["participations_familiales"]), F(x["places"])
    rate = billed * 100 / realised
    if b("bareme_degressif"):
        top, low, start, end = (
            b("prix_plafond_maximum"),
            b("prix_plafond_minimum"),
            b("seuil_degressivite_debut"),
            b("seuil_degressivite_fin"),
        )
        ceiling = top if rate <= start else low if rate >= end else top - (top - low) * (rate - start) / (end - start)
    else:
        variant = (
            "couches_repas"
            if x["couches_fournies"] == "true" and x["repas_fournis"] == "true"
            else "sans_couches_repas"
        )
        bracket = "107" if rate <= b("seuil_tranche_1") else "117" if rate < b("seuil_tranche_2") else "au_dela"
        ceiling = b(f"prix_plafond_{bracket}_{variant}")
    base = max(b("taux_ps") * min(charges, ceiling * billed) - fees, F(0)) * F(x["part_regime_general"]) / 100
    mixite = F(0)
    if b.has("bonus_mixite_seuil_1"):
        for tier in "123":
            if fees <= b(f"bonus_mixite_seuil_{tier}") * billed:
                mixite = b(f"bonus_mixite_montant_{tier}") * places
                break
    inclusion = F(0)
    if b.has("bonus_inclusion_montant_maximum") and F(x["enfants_aeeh"]) > 0:
        share = F(x["enfants_aeeh"]) / F(x["enfants_accueillis"])
        if share < b("bonus_inclusion_seuil_1"):
            rate = b("bonus_inclusion_taux_1")
        elif share <= b("bonus_inclusion_seuil_2"):
            rate = b("bonus_inclusion_taux_2")
        else:
            rate = b("bonus_inclusion_taux_3")
        cost_per_place = charges / places
        per_place = min(share * rate * cost_per_place, b("bonus_inclusion_montant_maximum"))
        inclusion = per_place * places
    # bonus territoire (CTG, from 2020): existing places at the smoothed former amount, new places at the Caf's amount
    territoire = F(0)
    existing = F(x.get("bonus_territoire_places_existantes", "0"))
    new = F(x.get("bonus_territoire_places_nouvelles", "0"))
    if b.has("bonus_territoire_en_vigueur") and b("bonus_territoire_en_vigueur"):
        if existing:
            territoire += existing * F(x["bonus_territoire_montant_lisse_par_place"])
        territoire += new * new_place_amount
    return base + mixite + inclusion + territoire


def alsh(b: Bareme, x: dict) -> F:
    realised, charges = F(x["heures_realisees"]), F(x["total_charges"])
    hourly_cost = charges / realised
    # Wednesday hours beyond 9 h per child-day with meal and 4 h per child-half-day are not retained
    retained, wednesday_kept = realised, F(0)
    if "mercredi_heures" in x:
        wednesday = F(x["mercredi_heures"])
        cap = F(x.get("mercredi_journees_repas", "0")) * b("mercredi_heures_par_journee_repas") + F(
            x.get("mercredi_demi_journees", "0")
        ) * b("mercredi_heures_par_demi_journee")
        retained = realised - max(wednesday - cap, F(0))
        wednesday_kept = min(wednesday, cap)
    ps = b("taux_ps") * min(hourly_cost, b("prix_plafond_horaire")) * retained * F(x["part_regime_general"]) / 100
    # Plan mercredi: per new Wednesday hour among those retained; complément inclusif: per hour of AEEH children
    plan = b("bonus_plan_mercredi_horaire") * min(F(x.get("mercredi_heures_nouvelles", "0")), wednesday_kept)
    inclusif = b("complement_inclusif_horaire") * F(x.get("heures_aeeh", "0"))
    return ps + plan + inclusif


def hourly(b: Bareme, x: dict) -> F:
    hours = F(x["heures_ouverture"]) + F(x["heures_organisation"])
    return b("taux_ps") * min(F(x["total_charges"]) / hours, b("prix_plafond_horaire")) * hours


def per_post(etp: str, fees: str | None = None, missions: bool = False):
    def formula(b: Bareme, x: dict) -> F:
        amount = b("taux_ps") * min(F(x["total_charges"]), b("prix_plafond_etp") * F(x[etp]))
        if fees:
            amount = max(amount - F(x[fees]), F(0))
        if missions and x["missions_renforcees"] == "true" and b.has("bonus_missions_par_etp"):
            amount += b("bonus_missions_par_etp") * F(x[etp])
        return amount

    return formula


def eligible(field: str):
    return lambda b, x: b("taux_ps") * min(F(x[field]), b("prix_plafond"))


def clas(b: Bareme, x: dict) -> F:
    return min(b("taux_ps") * F(x["total_charges"]), b("montant_maximum_par_groupe") * F(x["groupes"]))


def _check(family: str, nature: str, year: int, figures: dict, formula, on: date | None = None, bareme=None) -> None:
    expected = cents(max(formula(Bareme(family, on or date(year, 1, 1), nature), figures), F(0)))
    assert estimate(family, nature, year, figures, bareme=bareme).amount == expected, figures


@st.composite
def psu_inputs(draw):
    realised = draw(count(1, 60_000))
    billed = draw(st.integers(min_value=realised, max_value=realised * 13 // 10 + 1))
    accueillis = draw(count(1, 200))
    return {
        "places": str(draw(count(1, 100))),
        "heures_realisees": str(realised),
        "heures_facturees": str(billed),
        "total_charges": str(draw(money(1, 900_000))),
        "participations_familiales": str(draw(money(0, 200_000))),
        "part_regime_general": str(draw(st.integers(min_value=0, max_value=100))),
        "couches_fournies": draw(st.sampled_from(["true", "false"])),
        "repas_fournis": draw(st.sampled_from(["true", "false"])),
        "enfants_accueillis": str(accueillis),
        "enfants_aeeh": str(draw(st.integers(min_value=0, max_value=accueillis))),
        **draw(st.one_of(st.just({}), territoire_inputs())),
    }


@st.composite
def territoire_inputs(draw):
    existing = draw(count(0, 60))
    figures = {
        "bonus_territoire_places_existantes": str(existing),
        "bonus_territoire_places_nouvelles": str(draw(count(0, 60))),
    }
    if existing or draw(st.booleans()):
        figures["bonus_territoire_montant_lisse_par_place"] = str(draw(money(0, 6_000)))
    return figures


def _with_new_place_amount(amount: Decimal):
    """The PSU barème with a Caf's amount per new place (its local parameter) from 2019."""
    source = Provenance("Délibération du conseil d'administration", "Caf du Nord", date(2019, 1, 1), "CA 2019-01")
    local = LocalValue("059", "eaje_psu", "bonus_territoire_montant_place_nouvelle", date(2019, 1, 1), amount, source)
    return with_local(load_family("eaje_psu"), [local])


@SETTINGS
@given(
    psu_inputs(),
    YEARS,
    st.sampled_from(sorted(load_family("eaje_psu").natures)),
    money(2_600, 3_600),  # within the national range (from 2025) so that every year is estimable
)
def test_psu(figures, year, nature, new_place_amount):
    formula = partial(psu, new_place_amount=F(new_place_amount))
    _check("eaje_psu", nature, year, figures, formula, bareme=_with_new_place_amount(new_place_amount))


@st.composite
def alsh_inputs(draw):
    realised = draw(count(1, 100_000))
    figures = {
        "heures_realisees": str(realised),
        "total_charges": str(draw(money(1, 400_000))),
        "part_regime_general": str(draw(st.integers(min_value=0, max_value=100))),
    }
    if draw(st.booleans()):  # Wednesday hours, their cap's child-days and half-days, new hours (Plan mercredi)
        wednesday = draw(st.integers(min_value=0, max_value=realised))
        figures["mercredi_heures"] = str(wednesday)
        days = draw(st.one_of(st.none(), count(0, 2_000)))
        halves = draw(count(0, 2_000) if days is None else st.one_of(st.none(), count(0, 2_000)))
        if days is not None:
            figures["mercredi_journees_repas"] = str(days)
        if halves is not None:
            figures["mercredi_demi_journees"] = str(halves)
        if draw(st.booleans()):
            figures["mercredi_heures_nouvelles"] = str(draw(st.integers(min_value=0, max_value=wednesday)))
    if draw(st.booleans()):  # hours of children receiving the AEEH (complément inclusif from 2024)
        figures["heures_aeeh"] = str(draw(st.integers(min_value=0, max_value=realised)))
    return figures


@SETTINGS
@given(alsh_inputs(), YEARS, st.sampled_from(["periscolaire", "extrascolaire", "adolescents"]))
def test_alsh(figures, year, nature):
    _check("alsh", nature, year, figures, alsh)


@st.composite
def hourly_inputs(draw):
    opening = draw(count(1, 3000))
    return {
        "heures_ouverture": str(opening),
        "heures_organisation": str(draw(count(0, 1000))),
        "total_charges": str(draw(money(1, 300_000))),
    }


@SETTINGS
@given(hourly_inputs(), YEARS, st.sampled_from(["laep", "espace_rencontre"]))
def test_hourly_families(figures, year, family):
    _check(family, None, year, figures, hourly)


def _posts(field: str, extra: dict):
    @st.composite
    def inputs(draw):
        figures = {
            field: str(draw(st.decimals(min_value="0.1", max_value="5", places=2))),
            "total_charges": str(draw(money(1, 400_000))),
        }
        for name, strategy in extra.items():
            figures[name] = str(draw(strategy))
        return figures

    return inputs()


@SETTINGS
@given(_posts("etp_animateurs", {"missions_renforcees": st.sampled_from(["true", "false"])}), YEARS)
def test_rpe(figures, year):
    _check("rpe", None, year, figures, per_post("etp_animateurs", missions=True))


@SETTINGS
@given(_posts("etp_mediateurs", {"participations_familiales": money(0, 50_000)}), YEARS)
def test_mediation_familiale(figures, year):
    _check("mediation_familiale", None, year, figures, per_post("etp_mediateurs", fees="participations_familiales"))


@SETTINGS
@given(_posts("etp_animateurs", {}), st.integers(min_value=2020, max_value=2026))
def test_ps_jeunes(figures, year):
    _check("ps_jeunes", None, year, figures, per_post("etp_animateurs"))


@SETTINGS
@given(_posts("etp_charge_cooperation", {}), st.integers(min_value=2020, max_value=2026))
def test_ctg(figures, year):
    _check("ctg", None, year, figures, per_post("etp_charge_cooperation"))


@SETTINGS
@given(
    money(1, 300_000),
    YEARS,
    st.sampled_from([("centre_social_acf", "charges_projet_familles"), ("centre_social_agc", "charges_pilotage")]),
)
def test_centres_sociaux(charges, year, target):
    family, field = target
    _check(family, None, year, {field: str(charges)}, eligible(field))


@SETTINGS
@given(money(1, 100_000), st.integers(min_value=1, max_value=20), YEARS)
def test_clas(charges, groups, year):
    figures = {"annee_scolaire": f"{year}-{year + 1}", "total_charges": str(charges), "groupes": str(groups)}
    _check("clas", None, year, figures, clas, on=date(year, 9, 1))


def test_every_family_is_compared():
    compared = {
        "eaje_psu",
        "alsh",
        "laep",
        "espace_rencontre",
        "rpe",
        "mediation_familiale",
        "ps_jeunes",
        "ctg",
        "centre_social_acf",
        "centre_social_agc",
        "clas",
    }
    assert compared == set(RULES)


def test_half_cents_round_up_exactly():
    # 0.66 × 10000.25 − 2000 = 4600.165 exactly, although 10000.25 / 1401 is a recurring decimal
    figures = {
        "places": "20",
        "heures_realisees": "1401",
        "heures_facturees": "1401",
        "total_charges": "10000.25",
        "participations_familiales": "2000",
        "part_regime_general": "100",
        "couches_fournies": "true",
        "repas_fournis": "true",
    }
    assert estimate("eaje_psu", "multi_accueil", 2024, figures).amount == Decimal("4600.17")
    try:
        estimate("eaje_psu", "multi_accueil", 2024, {**figures, "total_charges": "0"})
    except InvalidInputs as refused:  # no charges: no prestation shown (never only the bonuses)
        assert refused.problems[0][0] == "total_charges"
    else:  # pragma: no cover
        raise AssertionError("an estimate without charges must be refused")
