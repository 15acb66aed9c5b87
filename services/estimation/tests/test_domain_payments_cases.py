"""Hand-computed payment schedules (``payment_cases/*.yaml``): facts in order, every expected payment.

Each case names a Caf (resolved through the shipped mapping) or a policy id, lists the validations the Caf
made and the full list of payments (due ones with their date, pending ones with ``status: pending``), and
the expected summary per exercice. Amounts are strings, read as Decimal.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from afas_estimation.domain.payments import (
    ActualValidated,
    ForecastValidated,
    PriorActual,
    PriorPayments,
    UpdateValidated,
    load_policy,
    policy_for_caf,
    schedule,
)

CASES = Path(__file__).parent / "payment_cases"
CASE_FILES = sorted(CASES.glob("*.yaml"))


def _money(value) -> Decimal:
    assert isinstance(value, str), f"write amounts as strings, got {value!r}"
    return Decimal(value)


def build_fact(raw: dict):
    kind = raw["type"]
    if kind == "prior_payments":  # recorded by a Caf agent: what was paid before the platform
        return PriorPayments(raw["exercice"], _money(raw["advances"]), raw["at"], _money(raw.get("balance", "0")))
    common = {"exercice": raw["exercice"], "entitlement": _money(raw["entitlement"]), "at": raw["at"]}
    if kind == "forecast":
        return ForecastValidated(**common, gap_justified=raw.get("gap_justified", False))
    if kind == "update":
        return UpdateValidated(**common)
    if kind == "actual":
        return ActualValidated(**common, forecast_gap_justified=raw.get("gap_justified", False))
    if kind == "prior_actual":
        return PriorActual(
            **common,
            forecast_entitlement=_money(raw["forecast"]),
            forecast_gap_justified=raw.get("gap_justified", False),
        )
    raise AssertionError(f"unknown fact type {kind!r}")


def _options(case: dict) -> dict:
    return {
        "first_exercice": case.get("first_exercice"),
        "new_equipment": case.get("new_equipment", False),
        "opened_on": case.get("opened_on"),
    }


def load_case(path: Path) -> dict:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    case["policy"] = load_policy(case["policy"]) if "policy" in case else policy_for_caf(case["caf"])
    case["facts"] = [build_fact(raw) for raw in case["facts"]]
    return case


def test_there_are_enough_cases():
    assert len(CASE_FILES) >= 8


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_payment_case(path):
    case = load_case(path)
    if "expected_policy" in case:
        assert case["policy"].id == case["expected_policy"]
    result = schedule(case["policy"], case["facts"], **_options(case))

    got = [(p.key, p.amount, p.status, p.due) for p in result.payments]
    expected = [(e["key"], _money(e["amount"]), e.get("status", "due"), e.get("due")) for e in case["payments"]]
    assert got == expected

    for payment, wanted in zip(result.payments, case["payments"], strict=True):
        assert payment.key == f"{payment.exercice}:{payment.kind}:{payment.number}"
        assert payment.label and payment.trigger and payment.explanation.text
        if "cap_applied" in wanted:
            assert payment.explanation.cap_applied is wanted["cap_applied"], payment.key
        if "cap_amount" in wanted:
            assert payment.explanation.cap_amount == _money(wanted["cap_amount"]), payment.key
        if payment.kind == "indu":
            assert payment.amount < 0

    assert sorted(result.summaries) == sorted(case["summaries"])
    for exercice, wanted in case["summaries"].items():
        summary = result.summary(exercice)
        for name, value in wanted.items():
            actual = getattr(summary, name)
            if name == "note":  # the French text: its beginning is enough
                assert (actual or "").startswith(value or ""), f"{exercice}.note: {actual!r}"
                assert (actual is None) == (value is None), f"{exercice}.note: {actual!r}"
                continue
            if isinstance(value, str) and name != "basis":
                value = Decimal(value)
            assert actual == value, f"{exercice}.{name}: {actual!r} != {value!r}"


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_a_due_payment_never_changes_when_later_facts_arrive(path):
    """Incremental use: the due payments of any prefix of the facts are kept, unchanged, by the full history."""
    case = load_case(path)
    full = schedule(case["policy"], case["facts"], **_options(case)).by_key()
    for length in range(len(case["facts"])):
        prefix = schedule(case["policy"], case["facts"][:length], **_options(case))
        for payment in prefix.due:
            assert full[payment.key] == payment


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_facts_are_replayed_in_date_order(path):
    case = load_case(path)
    facts = case["facts"]
    if len({fact.at for fact in facts}) < len(facts):
        pytest.skip("same-day facts keep their given order")
    forward = schedule(case["policy"], facts, **_options(case))
    backward = schedule(case["policy"], list(reversed(facts)), **_options(case))
    assert forward == backward
