"""Barème files: dated values with provenance, per-nature series, provisional answers for missing years."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from afas_estimation.domain.errors import ParameterFileError, UnknownFamily
from afas_estimation.domain.estimate import estimate
from afas_estimation.domain.explanation import estimate_json, french
from afas_estimation.domain.parameters.loader import available_families, load_family
from afas_estimation.domain.rules.registry import RULES

BAREME = """
family: ps_jeunes
label: PS Jeunes
natures: {general: PS Jeunes, quartier: PS Jeunes quartier}
parameters:
  taux_ps:
    description: Taux
    unit: /1
    values:
      2020-01-01: {value: 0.5, source: {titre: "Circulaire de test", emetteur: Cnaf, date: 2020-01-01, reference: "T"}}
    natures:
      quartier:
        2020-01-01: {value: 0.6, reference: "non sourcé — à confirmer par la Caf"}
  prix_plafond_etp:
    description: Plafond
    unit: €/ETP
    annual: true
    values:
      2022-01-01: {value: 1000, reference: "non sourcé — à confirmer par la Caf"}
      2024-07-01: {value: 2000, reference: "non sourcé — à confirmer par la Caf"}
"""


@pytest.fixture
def custom_dir(tmp_path):
    (tmp_path / "ps_jeunes.yaml").write_text(BAREME, encoding="utf-8")
    return tmp_path


def test_every_rule_has_a_barème_and_every_barème_a_rule():
    assert available_families() == sorted(RULES)
    for family in RULES:
        assert load_family(family).parameters  # parses and checks every file


def test_a_value_applies_from_its_date_until_the_next(custom_dir):
    plafond = load_family("ps_jeunes", custom_dir).parameters["prix_plafond_etp"]
    assert plafond.at(date(2024, 6, 30), "general").value == Decimal(1000)
    assert plafond.at(date(2024, 7, 1), "general").value == Decimal(2000)
    assert plafond.at(date(2021, 12, 31), "general") is None


def test_a_year_after_the_latest_annual_value_is_provisional(custom_dir):
    plafond = load_family("ps_jeunes", custom_dir).parameters["prix_plafond_etp"]
    assert plafond.at(date(2024, 1, 1), "general").provisional is True  # 2023 value still in force, 2024 not out
    assert plafond.at(date(2025, 1, 1), "general").provisional is True
    taux = load_family("ps_jeunes", custom_dir).parameters["taux_ps"]
    assert taux.at(date(2030, 1, 1), "general").provisional is False  # not revalued yearly: still the rule


def test_a_nature_may_have_its_own_series(custom_dir):
    general = estimate("ps_jeunes", "general", 2023, {"etp_animateurs": "1", "total_charges": "5000"}, custom_dir)
    quartier = estimate("ps_jeunes", "quartier", 2023, {"etp_animateurs": "1", "total_charges": "5000"}, custom_dir)
    assert (general.amount, quartier.amount) == (Decimal("500.00"), Decimal("600.00"))
    assert quartier.unsourced_parameters == ["taux_ps", "prix_plafond_etp"] or set(quartier.unsourced_parameters) == {
        "taux_ps",
        "prix_plafond_etp",
    }


def test_a_repeated_date_is_refused(tmp_path):
    (tmp_path / "ps_jeunes.yaml").write_text(
        BAREME.replace("2024-07-01: {value: 2000", "2022-01-01: {value: 2000"), encoding="utf-8"
    )
    with pytest.raises(ParameterFileError, match="duplicate"):
        load_family("ps_jeunes", tmp_path)


def test_a_value_without_reference_is_refused(tmp_path):
    (tmp_path / "ps_jeunes.yaml").write_text(
        BAREME.replace(
            '{value: 0.5, source: {titre: "Circulaire de test", emetteur: Cnaf, date: 2020-01-01, reference: "T"}}',
            '{value: 0.5, reference: "Circulaire de test du 1er janvier 2020"}',  # free text is not a provenance
        ),
        encoding="utf-8",
    )
    with pytest.raises(ParameterFileError):
        load_family("ps_jeunes", tmp_path)


@pytest.mark.parametrize(
    ("ordered", "words"),
    [
        ("[[prix_plafond_etp, taux_ps]]", "prix_plafond_etp (1000) is not below taux_ps (0.5)"),
        ("[[taux_ps, inconnu]]", "unknown parameter"),
        ("[[taux_ps]]", "two distinct parameters"),
    ],
)
def test_an_ordered_chain_of_the_file_is_checked_on_every_date(tmp_path, ordered, words):
    (tmp_path / "ps_jeunes.yaml").write_text(BAREME + f"ordered: {ordered}\n", encoding="utf-8")
    with pytest.raises(ParameterFileError, match=re.escape(words)):
        load_family("ps_jeunes", tmp_path)


def test_an_ordered_chain_holds_on_every_date_and_nature(tmp_path):
    (tmp_path / "ps_jeunes.yaml").write_text(BAREME + "ordered: [[taux_ps, prix_plafond_etp]]\n", encoding="utf-8")
    bareme = load_family("ps_jeunes", tmp_path)
    assert bareme.ordered == (("taux_ps", "prix_plafond_etp"),)
    assert bareme.disorders(("taux_ps", "prix_plafond_etp")) == []


def test_unknown_family_file():
    with pytest.raises(UnknownFamily):
        load_family("../secrets")


def test_the_explanation_is_complete_and_french():
    answer = estimate_json(
        estimate(
            "laep", None, 2024, {"heures_ouverture": "400", "heures_organisation": "100", "total_charges": "60000"}
        )
    )
    assert answer["montant"] == "14250.00"
    assert answer["montant_affiche"] == "14\u00a0250,00\u00a0€"
    assert answer["provisoire"] is True and answer["parametres_manquants"] == ["prix_plafond_horaire"]
    # codes kept for API clients, French labels beside them for whatever a partner is shown
    assert answer["parametres_manquants_libelles"] == ["Prix plafond horaire (heures d'ouverture et d'organisation)"]
    assert answer["parametres_non_sources"] == ["prix_plafond_horaire"]
    assert answer["parametres_non_sources_libelles"] == answer["parametres_manquants_libelles"]
    assert any("Prix plafond horaire" in w and "provisoire" in w for w in answer["avertissements"])
    assert not any("prix_plafond_horaire" in w for w in answer["avertissements"])  # no parameter code for partners
    assert any("source publique n'a pas été trouvée" in w for w in answer["avertissements"])
    plafond = next(p for p in answer["parametres"] if p["nom"] == "prix_plafond_horaire")
    assert plafond["applicable_depuis"] == "2023-01-01" and plafond["provisoire"] is True
    assert plafond["provenance"].startswith("non sourcé")
    taux = next(p for p in answer["parametres"] if p["nom"] == "taux_ps")
    assert taux["source"] is True and taux["affichage"] == "30\u00a0%"
    assert taux["provenance_detail"]["emetteur"] == "Caf des Hauts-de-Seine" and taux["provenance_detail"]["date"]
    assert answer["entrees"] == {"heures_ouverture": "400", "heures_organisation": "100", "total_charges": "60000"}
    labels = [s["libelle"] for s in answer["etapes"]]
    assert labels[0] == "Heures d'ouverture et d'organisation" and labels[-1] == "Montant avant arrondi"


def test_french_figures():
    assert french(Decimal("1234567.891"), "€") == "1\u00a0234\u00a0567,89\u00a0€"
    assert french(Decimal("0.424"), "/1") == "42,4\u00a0%"
    assert french(True) == "oui"


def test_psu_ceilings_derived_from_the_sourced_2018_value_by_the_published_revaluations():
    plafond = load_family("eaje_psu").parameters["prix_plafond_117_couches_repas"]
    derived = {v.start.year: v for v in plafond.values if v.start.year in (2021, 2022, 2023)}
    assert {year: v.value for year, v in derived.items()} == {
        2021: Decimal("8.15"),  # 7.87 × 1.035 = 8.14545
        2022: Decimal("8.56"),  # 8.15 × 1.05 = 8.5575
        2023: Decimal("8.73"),  # 8.56 × 1.02 = 8.7312
    }
    for year, factor, issuer in ((2021, "1,035", "Elisfa"), (2022, "1,05", "Cnaf"), (2023, "1,02", "Assemblée")):
        value = derived[year]
        assert value.sourced and value.source.title.startswith("Valeur déduite par revalorisation")
        assert value.source.note.startswith("valeur déduite") and "arrondi au centime" in value.source.note
        assert "7,87" in value.source.note and "01/01/2018" in value.source.note  # derived from what
        assert f"× {factor} (revalorisation" in value.source.note and issuer in value.source.issuer
    # 2019 and 2020: the split of the 2018–2021 revaluation is not published — the sourced 2018 value, provisional,
    # never a later unsourced one
    for year in (2019, 2020):
        found = plafond.at(date(year, 1, 1), "multi_accueil")
        assert (found.value, found.since, found.sourced, found.provisional) == (
            Decimal("7.87"),
            date(2018, 1, 1),
            True,
            True,
        )
        assert found.backfilled is False
    assert plafond.at(date(2024, 1, 1), "multi_accueil").sourced is False  # no published 2024 rate: unsourced


def test_a_psu_2022_estimate_shows_the_derived_ceiling_with_its_provenance():
    figures = {
        "places": "20",
        "heures_realisees": "10000",
        "heures_facturees": "11000",
        "total_charges": "110000",
        "participations_familiales": "22000",
        "part_regime_general": "100",
        "couches_fournies": "true",
        "repas_fournis": "true",
    }
    answer = estimate_json(estimate("eaje_psu", "multi_accueil", 2022, figures))
    plafond = next(p for p in answer["parametres"] if p["nom"] == "prix_plafond_117_couches_repas")
    assert (plafond["valeur"], plafond["applicable_depuis"], plafond["source"]) == ("8.56", "2022-01-01", True)
    assert plafond["provisoire"] is False and "valeur déduite" in plafond["provenance_detail"]["note"]
    assert "prix_plafond_117_couches_repas" not in answer["parametres_non_sources"]


DERIVED = BAREME.replace(
    "parameters:\n",
    """revalorisations:
  r2023: {de: 2022, a: 2023, taux: 0.1,
          source: {titre: "Décision de test", emetteur: Cnaf, date: 2023-02-01, reference: "D"}}
  r2024: {de: 2023, a: 2024, taux: 0.02,
          source: {titre: "Autre décision", emetteur: Cnaf, date: 2024-02-01, reference: "E"}}
parameters:
""",
).replace(
    """      2022-01-01: {value: 1000, reference: "non sourcé — à confirmer par la Caf"}
      2024-07-01: {value: 2000, reference: "non sourcé — à confirmer par la Caf"}""",
    """      2022-01-01: {value: 1000.05,
                   source: {titre: "Barème de test", emetteur: Cnaf, date: 2022-01-01, reference: "B"}}
      2023-01-01: {value: 1100.06, derivee: {de: 2022-01-01, revalorisations: [r2023]}}
      2024-01-01: {value: 1122.06, derivee: {de: 2023-01-01, revalorisations: [r2024]}}""",
)


def test_a_derived_value_is_computed_checked_and_says_where_it_comes_from(tmp_path):
    (tmp_path / "ps_jeunes.yaml").write_text(DERIVED, encoding="utf-8")
    series = load_family("ps_jeunes", tmp_path).parameters["prix_plafond_etp"].values
    # 1000.05 × 1.1 = 1100.055 → 1100.06 (half up); 1100.06 × 1.02 = 1122.0612 → 1122.06
    assert [v.value for v in series] == [Decimal("1000.05"), Decimal("1100.06"), Decimal("1122.06")]
    assert series[1].source.issuer == "Cnaf" and series[1].source.reference == "D"
    assert "= 1100,055\u00a0€/ETP, arrondi au centime : 1100,06\u00a0€/ETP" in series[1].source.note
    assert "elle-même déduite de 1000,05\u00a0€/ETP du 01/01/2022" in series[2].source.note


@pytest.mark.parametrize(
    ("before", "after", "words"),
    [
        ("{value: 1100.06, derivee", "{value: 1100.05, derivee", "derived value is 1100.06"),
        ("[r2024]}", "[r2023]}", "must run from 2023"),
        ("[r2024]}", "[r2099]}", "unknown revaluation"),
        ("{de: 2023-01-01, revalorisations", "{de: 2021-01-01, revalorisations", "earlier sourced value"),
        (
            'source: {titre: "Barème de test", emetteur: Cnaf, date: 2022-01-01, reference: "B"}',
            'reference: "non sourcé — test"',
            "earlier sourced value",
        ),
        ("taux: 0.1,", "taux: 1.5,", "'taux' must be a ratio"),
        ("{de: 2022, a: 2023,", "{de: 2023, a: 2023,", "'de' before 'a'"),
    ],
)
def test_a_wrong_derivation_is_refused(tmp_path, before, after, words):
    assert before in DERIVED
    (tmp_path / "ps_jeunes.yaml").write_text(DERIVED.replace(before, after, 1), encoding="utf-8")
    with pytest.raises(ParameterFileError, match=re.escape(words)):
        load_family("ps_jeunes", tmp_path)


@pytest.mark.parametrize(
    ("before", "after", "place_and_reason"),
    [
        (
            "label: PS Jeunes\n",
            "label: PS Jeunes\nrevision: 2\n",
            "unknown key(s) 'revision'; allowed: ['family', "
            "'label', 'natures', 'ordered', 'parameters', 'revalorisations']",
        ),
        ("    unit: /1\n", "", "parameters.taux_ps: missing key(s) 'unit'"),
        (
            "    annual: true\n",
            "    annual: oui\n",
            "parameters.prix_plafond_etp.annual: expected true or false, got 'oui'",
        ),
        (
            "date: 2020-01-01, reference",
            "date: 1er janvier 2020, reference",
            "parameters.taux_ps.values.2020-01-01.source.date: expected a YYYY-MM-DD date, got '1er janvier 2020'",
        ),
        (
            "2024-07-01: {value: 2000",
            "juillet 2024: {value: 2000",
            "parameters.prix_plafond_etp.values: expected a YYYY-MM-DD date, got 'juillet 2024'",
        ),
        ("emetteur: Cnaf, ", "", "parameters.taux_ps.values.2020-01-01.source: missing key(s) 'emetteur'"),
        (
            "emetteur: Cnaf, ",
            "emetteur: Cnaf, auteur: X, ",
            "parameters.taux_ps.values.2020-01-01.source: unknown key(s) "
            "'auteur'; allowed: ['adresse', 'date', 'emetteur', 'note', 'reference', 'titre']",
        ),
        (
            "{value: 1000,",
            "{value: beaucoup,",
            "parameters.prix_plafond_etp.values.2022-01-01.value: value 'beaucoup' is not a number",
        ),
        (
            "{value: 1000,",
            "{value: -5,",
            "parameters.prix_plafond_etp.values.2022-01-01: a ceiling must be above zero, got -5",
        ),
        ("      quartier:\n", "      rural:\n", "parameters.taux_ps.natures.rural: unknown nature 'rural'"),
        (
            "{value: 0.6,",
            "{value: 1.6,",
            "parameters.taux_ps.natures.quartier.2020-01-01: a ratio must lie in [0, 1], got 1.6",
        ),
        ("family: ps_jeunes", "family: laep", "family: 'family' must be 'ps_jeunes'"),
    ],
)
def test_a_barème_refusal_names_the_place_and_the_reason_exactly(tmp_path, before, after, place_and_reason):
    assert before in BAREME
    (tmp_path / "ps_jeunes.yaml").write_text(BAREME.replace(before, after, 1), encoding="utf-8")
    with pytest.raises(ParameterFileError) as error:
        load_family("ps_jeunes", tmp_path)
    assert str(error.value) == f"ps_jeunes.yaml: {place_and_reason}"
