"""Payment policies load from data and refuse malformed files; the schedule refuses inconsistent facts."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest
import yaml

from afas_estimation.domain.payments import (
    ActualValidated,
    ForecastValidated,
    PaymentFactError,
    PolicyError,
    PriorActual,
    PriorPayments,
    UnknownPolicy,
    UpdateValidated,
    available_policies,
    build_policy,
    euros,
    load_caf_policies,
    load_policy,
    normalise_caf,
    policy_for_caf,
    schedule,
)

D = Decimal
VALID = {
    "id": "demo",
    "label": "Démo",
    "advances": [
        {"percent": 40, "trigger": "forecast_validated", "label": "1er acompte"},
        {"percent": 30, "trigger": "previous_actual_validated", "label": "2e acompte"},
    ],
    "top_ups": True,
    "cap": {"percent": 70, "gap_threshold_percent": 10, "applies_to": ["acompte_2", "complement"]},
}
MAPPING = {"default": "demo", "cafs": {"092": "demo"}}
# 35 % + 35 % with the generic cap (the N-1 forecast against the actual N-1), to test that mechanism on its own
LEGACY_35 = {
    **VALID,
    "advances": [
        {"percent": 35, "trigger": "forecast_validated", "label": "1er acompte"},
        {"percent": 35, "trigger": "previous_actual_validated", "label": "2e acompte"},
    ],
    "top_ups": False,
}


def write(tmp_path, name, data):
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")


# --- shipped data -----------------------------------------------------------------------------------------


def test_shipped_policies_load():
    assert available_policies() == ["acomptes_35_35", "caf_92"]
    caf_92 = load_policy("caf_92")
    assert [(a.kind, a.percent, a.trigger) for a in caf_92.advances] == [
        ("acompte_1", D(40), "forecast_validated"),
        ("acompte_2", D(30), "previous_actual_validated"),
    ]
    assert caf_92.top_ups is True and caf_92.cap is None
    nord = load_policy("acomptes_35_35")
    assert [a.percent for a in nord.advances] == [D(35), D(35)]
    assert nord.cap is not None and (nord.cap.percent, nord.cap.gap_threshold_percent) == (D(70), D(10))
    assert nord.cap.applies_to == ("acompte_2", "complement")


@pytest.mark.parametrize(
    ("caf", "policy_id", "is_default"),
    [
        ("092", "caf_92", False),
        (92, "caf_92", False),
        ("92", "caf_92", False),
        ("059", "acomptes_35_35", False),
        ("80", "acomptes_35_35", False),
        ("075", "acomptes_35_35", True),
        (974, "acomptes_35_35", True),
    ],
)
def test_caf_to_policy(caf, policy_id, is_default):
    mapping = load_caf_policies()
    assert mapping.policy_id(caf) == policy_id
    assert mapping.is_default(caf) is is_default
    assert policy_for_caf(caf).id == policy_id


@pytest.mark.parametrize("caf", ["", "abc", "0", "1234", True, None, 9.2, "-92"])
def test_an_invalid_caf_code_is_refused(caf):
    with pytest.raises(PolicyError, match="invalid Caf code"):
        normalise_caf(caf)


# --- loader errors ----------------------------------------------------------------------------------------


def test_a_valid_policy_from_a_directory(tmp_path):
    write(tmp_path, "demo", VALID)
    write(tmp_path, "cafs", MAPPING)
    assert available_policies(tmp_path) == ["demo"]
    assert policy_for_caf("001", tmp_path).id == "demo"
    assert load_policy("demo", tmp_path).cap.rate == D("0.7")


def test_an_unknown_policy(tmp_path):
    with pytest.raises(UnknownPolicy, match="no payment policy file nope.yaml"):
        load_policy("nope", tmp_path)
    with pytest.raises(UnknownPolicy, match="invalid payment policy id"):
        load_policy("../etc", tmp_path)
    with pytest.raises(UnknownPolicy, match="invalid payment policy id"):
        load_policy("cafs", tmp_path)


def test_a_missing_mapping_file(tmp_path):
    write(tmp_path, "demo", VALID)
    with pytest.raises(PolicyError, match="no Caf → policy mapping file cafs.yaml"):
        load_caf_policies(tmp_path)


def test_not_yaml_and_duplicate_keys(tmp_path):
    write(tmp_path, "demo", "id: [unclosed")
    with pytest.raises(PolicyError, match="demo.yaml: not valid YAML"):
        load_policy("demo", tmp_path)
    write(tmp_path, "twice", "id: twice\nid: twice\n")
    with pytest.raises(PolicyError, match="duplicate key 'id'"):
        load_policy("twice", tmp_path)


def _broken(change):
    data = copy.deepcopy(VALID)
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(id="other"), "does not match the file name"),
        (lambda d: d.update(extra=1), "unknown key"),
        (lambda d: d.pop("top_ups"), "missing key.*top_ups"),
        (lambda d: d.update(top_ups="yes"), "top_ups: expected true or false"),
        (lambda d: d.update(label=""), "label: expected a non-empty text"),
        (lambda d: d.update(advances=[]), "advances: expected a non-empty list"),
        (lambda d: d["advances"][0].update(percent=0), r"advances\[0\]: percent: .*above 0"),
        (lambda d: d["advances"][0].update(percent=101), r"advances\[0\]: percent: .*at most 100"),
        (lambda d: d["advances"][0].update(percent="forty"), r"advances\[0\]: percent: expected a percentage"),
        (lambda d: d["advances"][1].update(percent=61), "add up to 101 %"),
        (lambda d: d["advances"][1].update(trigger="whenever"), r"advances\[1\]: trigger: expected one of"),
        (lambda d: d["advances"].append(dict(d["advances"][1], percent=1)), "at most two advances"),
        (lambda d: d["cap"].update(applies_to=["solde"]), "cap: applies_to: 'solde' is not an advance"),
        (lambda d: d["cap"].pop("gap_threshold_percent"), "cap: missing key"),
        (lambda d: d.update(cap=70), "cap: expected a mapping"),
    ],
)
def test_a_malformed_policy_is_refused_with_where_and_why(tmp_path, change, message):
    write(tmp_path, "demo", _broken(change))
    with pytest.raises(PolicyError, match=message) as error:
        load_policy("demo", tmp_path)
    assert str(error.value).startswith("demo.yaml")


def test_build_policy_checks_a_parsed_document():
    assert build_policy(VALID, "inline").id == "demo"
    with pytest.raises(PolicyError, match="inline: expected a mapping"):
        build_policy(["not", "a", "mapping"], "inline")


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"default": "missing", "cafs": {}}, "default: unknown payment policy 'missing'"),
        ({"default": "demo", "cafs": {"059": "missing"}}, "cafs.059: unknown payment policy 'missing'"),
        ("default: demo\ncafs:\n  59: demo\n", "quote the Caf code"),
        ({"default": "demo", "cafs": {"5x9": "demo"}}, "cafs.5x9: invalid Caf code"),
        ({"default": "demo", "cafs": {"59": "demo", "059": "demo"}}, "Caf 059 listed twice"),
        ({"cafs": {}}, "missing key.*default"),
        ({"default": "demo", "cafs": {}, "other": 1}, "unknown key"),
    ],
)
def test_a_malformed_mapping_is_refused(tmp_path, mapping, message):
    write(tmp_path, "demo", VALID)
    write(tmp_path, "cafs", mapping)
    with pytest.raises(PolicyError, match=message):
        load_caf_policies(tmp_path)


# --- schedule ---------------------------------------------------------------------------------------------

F23 = ForecastValidated(2023, D("100000"), date(2023, 2, 1))


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ([F23, ForecastValidated(2023, D("1"), date(2023, 3, 1))], "already validated"),
        ([UpdateValidated(2023, D("1"), date(2023, 3, 1))], "no validated forecast"),
        (
            [F23, ActualValidated(2023, D("1"), date(2024, 3, 1)), UpdateValidated(2023, D("1"), date(2024, 4, 1))],
            "actual of 2023 is already validated",
        ),
        (
            [ActualValidated(2023, D("1"), date(2024, 3, 1)), ForecastValidated(2023, D("1"), date(2024, 4, 1))],
            "actual of 2023 is already validated",
        ),
        ([ForecastValidated(2023, D("-1"), date(2023, 2, 1))], "non-negative Decimal"),
        ([ForecastValidated(2023, 100000.0, date(2023, 2, 1))], "non-negative Decimal"),
        ([ForecastValidated(2023, D("NaN"), date(2023, 2, 1))], "non-negative Decimal"),
        ([ForecastValidated("2023", D("1"), date(2023, 2, 1))], "exercice must be a year"),
        ([ForecastValidated(2023, D("1"), "2023-02-01")], "at must be a date"),
        (["forecast"], "not a payment fact"),
        ([PriorActual(2023, D("1"), date(2023, 1, 1), D("1")), F23], "was given as a PriorActual"),
        ([F23, PriorActual(2023, D("1"), date(2024, 1, 1), D("1"))], "already has facts"),
    ],
)
def test_inconsistent_facts_are_refused(facts, message):
    with pytest.raises(PaymentFactError, match=message):
        schedule(load_policy("caf_92"), facts)


def test_no_fact_before_the_first_exercice():
    with pytest.raises(PaymentFactError, match="before the first exercice 2024"):
        schedule(load_policy("caf_92"), [F23], first_exercice=2024)


def test_no_facts_no_payments():
    result = schedule(load_policy("caf_92"), [])
    assert result.payments == () and result.summaries == {}


def test_amounts_round_half_up_to_the_cent():
    # 35 % × 10,30 = 3,605: half-up gives 3,61 where banker's rounding would give 3,60
    result = schedule(load_policy("acomptes_35_35"), [ForecastValidated(2023, D("10.30"), date(2023, 2, 1))])
    assert result.by_key()["2023:acompte_1:1"].amount == D("3.61")


def test_a_top_up_is_capped_when_the_policy_caps_it(tmp_path):
    """Top-ups and cap together (no shipped policy has both): the top-up keeps the advances ≤ 70 % of N-1."""
    policy = build_policy(VALID, "inline")
    facts = [
        PriorActual(2022, D("50000"), date(2023, 1, 15), forecast_entitlement=D("80000")),  # gap 37,5 %
        ForecastValidated(2023, D("60000"), date(2023, 2, 1)),  # 40 % = 24 000; 30 % = 18 000; total 42 000
        UpdateValidated(2023, D("70000"), date(2023, 7, 1)),  # 70 % = 49 000, ceiling 35 000
    ]
    result = schedule(policy, facts).by_key()
    assert result["2023:acompte_1:1"].amount == D("24000.00")
    second = result["2023:acompte_2:1"]
    assert (second.amount, second.explanation.cap_applied, second.explanation.cap_amount) == (
        D("11000.00"),
        True,
        D("35000.00"),
    )
    assert "2023:complement:1" not in result  # already at the ceiling
    assert result["2023:solde:1"].status == "pending" and result["2023:solde:1"].amount == D("35000.00")


def test_a_forecast_of_zero_then_a_positive_actual_counts_as_a_gap_above_the_threshold():
    facts = [
        ForecastValidated(2022, D("0"), date(2022, 2, 1)),
        ActualValidated(2022, D("10000"), date(2023, 3, 1)),
        ForecastValidated(2023, D("15000"), date(2023, 3, 10)),
    ]
    result = schedule(load_policy("acomptes_35_35"), facts)
    second = result.by_key()["2023:acompte_2:1"]
    assert (second.amount, second.explanation.cap_applied) == (D("1750.00"), True)  # 70 % × 10 000 − 5 250
    assert result.summary(2022).forecast_gap is None


def test_an_actual_without_its_forecast_has_no_gap_and_no_cap():
    facts = [
        ActualValidated(2022, D("10000"), date(2023, 3, 1)),
        ForecastValidated(2023, D("100000"), date(2023, 3, 10)),
    ]
    drawn = schedule(build_policy(LEGACY_35, "inline"), facts)
    result = drawn.by_key()
    # the 2022 advances were paid before the platform: no balance announced until they are recorded
    assert "2022:solde:1" not in result and drawn.summary(2022).balance is None
    assert drawn.summary(2022).note.startswith("Acomptes antérieurs non connus")
    assert result["2023:acompte_2:1"].amount == D("35000.00")
    assert not result["2023:acompte_2:1"].explanation.cap_applied


def test_explanations_say_how_an_amount_was_computed():
    facts = [
        ForecastValidated(2023, D("100000"), date(2023, 2, 10)),
        PriorActual(2022, D("40000"), date(2023, 4, 1), forecast_entitlement=D("60000")),
    ]
    second = schedule(build_policy(LEGACY_35, "inline"), facts).by_key()["2023:acompte_2:1"]
    assert second.label == "2e acompte 2023"
    assert second.trigger == "validation de la déclaration réelle 2022"
    assert (second.explanation.percent, second.explanation.base) == (D(35), D("100000"))
    assert "plafonné à 0,00 €" in second.explanation.text
    assert "70 % du droit réel 2022" in second.explanation.text
    assert "33,33 %" in second.explanation.text


def test_euros():
    assert euros(D("-12345.6")) == "-12 345,60 €"
    assert euros(D("0")) == "0,00 €"


@pytest.mark.parametrize("revised", [None, D("95000")])
def test_the_summary_balance_is_the_balance_the_settlements_pay_a_prior_balance_included(revised):
    """Paid before the platform: 70 000 of advances and 10 000 of balance; actual 100 000 (then revised to 95 000):
    the balance is 100 000 − 70 000 − 10 000 = 20 000 in the summary and in the solde alike."""
    facts = [
        ActualValidated(2022, D("100000"), date(2023, 3, 1)),
        PriorPayments(2022, D("70000"), date(2023, 3, 5), balance=D("10000")),
    ]
    if revised is not None:
        facts.append(ActualValidated(2022, revised, date(2023, 6, 1)))
    drawn = schedule(load_policy("caf_92"), facts)
    settled = [p for p in drawn.for_exercice(2022) if p.kind in ("solde", "indu")]
    summary = drawn.summary(2022)
    assert settled[0].amount == D("20000.00") and settled[0].key == "2022:solde:1"
    expected = (revised or D("100000")) - D("80000")
    assert summary.balance == expected == sum(p.amount for p in settled)
    assert summary.advances_paid == D("70000.00")
    if revised is not None:  # the revision settles the difference: an indu of 5 000
        assert (settled[1].kind, settled[1].amount) == ("indu", D("-5000.00"))


def test_a_prior_actual_without_its_forecast_has_no_gap_for_the_generic_cap():
    """A Caf agent may record an actual from before the platform without its forecast: the N-1 gap is unknown."""
    facts = [
        PriorActual(2022, D("10000"), date(2023, 1, 15), forecast_entitlement=None),
        ForecastValidated(2023, D("100000"), date(2023, 2, 1)),
    ]
    second = schedule(build_policy(LEGACY_35, "inline"), facts).by_key()["2023:acompte_2:1"]
    assert (second.amount, second.explanation.cap_applied) == (D("35000.00"), False)


@pytest.mark.parametrize(
    ("change", "place_and_reason"),
    [
        (lambda d: d.update(label=40), "label: expected a non-empty text"),
        (
            lambda d: d.update(extra=1),
            "unknown key(s) 'extra'; allowed: ['advances', 'cap', 'id', 'label', 'new_equipment', 'source', 'top_ups']",
        ),
        (lambda d: d["advances"][0].pop("trigger"), "advances[0]: missing key(s) 'trigger'"),
        (
            lambda d: d["advances"][1].update(base="n_minus_1"),
            "advances[1]: base: expected one of forecast, actual_n_minus_2, got 'n_minus_1'",
        ),
        (
            lambda d: d.update(new_equipment=[{"percent": 50, "trigger": "forecast_validated"}]),
            "new_equipment[0]: missing key(s) 'label'",
        ),
        (
            lambda d: d["cap"].update(compare="never"),
            "cap: compare: expected one of previous_forecast_vs_actual, forecast_vs_actual_n_minus_1, got 'never'",
        ),
        (
            lambda d: d["cap"].update(applies_to="acompte_2"),
            "cap: applies_to: expected a non-empty list of payment kinds",
        ),
    ],
)
def test_a_policy_refusal_names_the_place_and_the_reason_exactly(tmp_path, change, place_and_reason):
    write(tmp_path, "demo", _broken(change))
    with pytest.raises(PolicyError) as error:
        load_policy("demo", tmp_path)
    assert str(error.value) == f"demo.yaml: {place_and_reason}"


def test_a_mapping_refusal_names_the_place_and_the_reason_exactly(tmp_path):
    write(tmp_path, "demo", VALID)
    write(tmp_path, "cafs", {"default": "demo", "cafs": ["092"]})
    with pytest.raises(PolicyError) as error:
        load_caf_policies(tmp_path)
    assert str(error.value) == "cafs.yaml: cafs: expected a mapping, got list"
