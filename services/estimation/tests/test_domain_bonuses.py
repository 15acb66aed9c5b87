"""The PSU bonuses as published: each shows its inputs and steps; the bonus territoire stays in the national range;
a part of the rule left out for want of figures makes the estimate *partial*, said in French."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from afas_estimation.domain.errors import EstimationError, InvalidInputs
from afas_estimation.domain.estimate import estimate
from afas_estimation.domain.explanation import estimate_json
from afas_estimation.domain.parameters.loader import load_family
from afas_estimation.domain.parameters.local import LocalValue, with_local
from afas_estimation.domain.parameters.model import Provenance

PSU = {
    "places": "20",
    "heures_realisees": "10000",
    "heures_facturees": "10000",
    "total_charges": "200000",
    "participations_familiales": "11000",
    "part_regime_general": "100",
    "couches_fournies": "true",
    "repas_fournis": "true",
    "enfants_accueillis": "40",
    "enfants_aeeh": "1",
}


def steps(answer: dict) -> dict[str, dict]:
    return {s["libelle"]: s for s in answer["etapes"]}


def test_mixité_and_inclusion_show_their_inputs_and_steps():
    answer = estimate_json(estimate("eaje_psu", "multi_accueil", 2024, PSU))
    shown = steps(answer)
    assert shown["Participation familiale moyenne par heure facturée"]["affichage"] == "1,10\u00a0€/h"
    assert shown["Bonus mixité sociale par place"]["valeur"] == "300"
    assert "]1 ; 1,25]" in shown["Bonus mixité sociale par place"]["formule"]
    assert shown["Bonus mixité sociale"]["valeur"] == "6000" and shown["Bonus mixité sociale"]["bonus"] is True
    assert shown["Part des enfants en situation de handicap"]["affichage"] == "2,5\u00a0%"
    assert shown["Taux de financement"]["affichage"] == "15\u00a0%"
    assert "part inférieure à 5\u00a0%" in shown["Taux de financement"]["formule"]
    assert shown["Prix de revient par place"]["affichage"] == "10\u00a0000,00\u00a0€/place"
    assert shown["Bonus inclusion handicap par place"]["valeur"] == "37.5"  # 2.5 % × 15 % × 10 000 €
    assert shown["Bonus inclusion handicap"]["valeur"] == "750"  # × 20 places
    assert {"enfants_aeeh", "enfants_accueillis", "places", "participations_familiales"} <= answer["entrees"].keys()
    used = {p["nom"] for p in answer["parametres"]}
    assert {"bonus_mixite_seuil_3", "bonus_mixite_montant_3", "bonus_inclusion_montant_maximum"} <= used
    assert {"bonus_inclusion_taux_1", "bonus_inclusion_seuil_1"} <= used
    assert answer["partielle"] is False


def test_a_bonus_left_out_for_want_of_figures_makes_the_estimate_partial():
    figures = {k: v for k, v in PSU.items() if k not in ("enfants_aeeh", "enfants_accueillis")}
    answer = estimate_json(estimate("eaje_psu", "multi_accueil", 2024, figures))
    assert answer["partielle"] is True and answer["parties_non_calculees"] == ["Bonus inclusion handicap"]
    assert any(w.startswith("Estimation partielle") for w in answer["avertissements"])


def _caf_amount(value: str, start: date = date(2025, 1, 1)):
    """The PSU barème with a Caf's amount per new place (its local parameter)."""
    source = Provenance("Délibération du conseil d'administration", "Caf du Nord", start, "CA 2025-01")
    local = LocalValue("059", "eaje_psu", "bonus_territoire_montant_place_nouvelle", start, Decimal(value), source)
    return with_local(load_family("eaje_psu"), [local])


def test_bonus_territoire_existing_and_new_places_within_the_national_range():
    figures = {
        **PSU,
        "bonus_territoire_places_existantes": "4",
        "bonus_territoire_montant_lisse_par_place": "1250.5",
        "bonus_territoire_places_nouvelles": "2",
    }
    answer = estimate_json(estimate("eaje_psu", "multi_accueil", 2025, figures, bareme=_caf_amount("2600")))
    shown = steps(answer)
    assert shown["Bonus territoire, places existantes"]["valeur"] == "5002"
    assert shown["Bonus territoire, places nouvelles"]["valeur"] == "5200"
    assert shown["Bonus territoire"]["valeur"] == "10202"
    # the Caf's value is listed with the applied parameters, with its date and provenance
    [local] = [p for p in answer["parametres"] if p["nom"] == "bonus_territoire_montant_place_nouvelle"]
    assert (
        local["valeur"] == "2600"
        and local["applicable_depuis"] == "2025-01-01"
        and "Caf du Nord" in local["provenance"]
    )
    for outside in ("2599.99", "3600.01"):  # a stored value the national range no longer admits
        with pytest.raises(InvalidInputs) as refused:
            estimate("eaje_psu", "multi_accueil", 2025, figures, bareme=_caf_amount(outside))
        assert refused.value.field == "bonus_territoire_places_nouvelles"
        assert "2\u00a0600,00\u00a0€ et 3\u00a0600,00\u00a0€" in refused.value.message
    # the Caf has not set its amount yet: no estimate rather than a bonus of 0 (the partner is told why)
    with pytest.raises(EstimationError) as unset:
        estimate("eaje_psu", "multi_accueil", 2025, {**PSU, "bonus_territoire_places_nouvelles": "2"})
    assert (
        unset.value.field == "bonus_territoire_places_nouvelles" and "la Caf n'a pas encore fixé" in unset.value.message
    )
    # the partner's own figure no longer counts: the amount is the Caf's
    with pytest.raises(EstimationError):
        estimate(
            "eaje_psu",
            "multi_accueil",
            2025,
            {**PSU, "bonus_territoire_places_nouvelles": "2", "bonus_territoire_montant_place_nouvelle": "3000"},
        )


def test_bonuses_before_they_existed_are_said_not_applicable():
    figures = {**PSU, "bonus_territoire_places_nouvelles": "2"}
    shown = steps(estimate_json(estimate("eaje_psu", "multi_accueil", 2019, figures, bareme=_caf_amount("3000"))))
    assert shown["Bonus territoire"]["valeur"].startswith("non applicable")
    assert shown["Bonus mixité sociale"]["valeur"] == "6000"  # mixité and inclusion exist from 2019
    rpe = estimate_json(
        estimate("rpe", None, 2021, {"etp_animateurs": "1", "missions_renforcees": "oui", "total_charges": "10000"})
    )
    assert steps(rpe)["Bonification missions renforcées"]["valeur"].startswith("non applicable")
    assert Decimal(rpe["montant"]) == Decimal("4300.00")


def test_no_prestation_is_shown_without_charges():
    # before any financial data the form sums the charges to 0: no amount made of bonuses alone
    with pytest.raises(InvalidInputs) as refused:
        estimate(
            "alsh",
            "periscolaire",
            2024,
            {"heures_realisees": "1000", "total_charges": "0", "part_regime_general": "100", "heures_aeeh": "600"},
        )
    assert refused.value.field == "total_charges"


def test_warnings_name_values_in_plain_french_without_parameter_codes():
    answer = estimate_json(estimate("eaje_psu", "multi_accueil", 2019, PSU))
    text = " ".join(answer["avertissements"])
    assert "« Prix plafond horaire, taux de facturation ≤ 107 %, couches et repas fournis »" in text
    assert "plus ancienne valeur connue" in text and "source publique n'a pas été trouvée" in text
    assert not any(p["nom"] in text for p in answer["parametres"])
