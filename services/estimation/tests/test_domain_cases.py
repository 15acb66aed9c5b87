"""Hand-computed cases per PS family (``cases/<family>.yaml``, in the spirit of OpenFisca's YAML tests).

Each case states its inputs, period, the parameter values its hand computation used, and the expected amount;
the runner checks those parameter values against the barème actually applied, then the amount and flags.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from afas_estimation.domain.estimate import estimate
from afas_estimation.domain.parameters.loader import load_family
from afas_estimation.domain.parameters.local import LocalValue, with_local
from afas_estimation.domain.parameters.model import Provenance
from afas_estimation.domain.rules.registry import RULES

CASES_DIR = Path(__file__).parent / "cases"
CASE_SOURCE = Provenance("Délibération du conseil d'administration", "Caf du Nord", date(2025, 1, 1), "CA 2025-01")


def _cases():
    for path in sorted(CASES_DIR.glob("*.yaml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in content["cases"]:
            yield pytest.param(content["family"], case, id=f"{content['family']}: {case['name']}")


def _with_local(family: str, case: dict):
    """A case's ``local`` values (a Caf's local parameters, ``{name: {from, value}}``) added to the national barème."""
    values = [
        LocalValue("059", family, name, raw["from"], Decimal(raw["value"]), CASE_SOURCE)
        for name, raw in (case.get("local") or {}).items()
    ]
    return with_local(load_family(family), values) if values else None


@pytest.mark.parametrize(("family", "case"), list(_cases()))
def test_hand_computed_case(family, case):
    result = estimate(family, case.get("nature"), case["period"], case["input"], bareme=_with_local(family, case))

    used = {p.name: p.value for p in result.parameters}
    for name, value in (case.get("parameters") or {}).items():
        assert used.get(name) == Decimal(str(value)), f"the hand computation assumed {name} = {value}"
    expected = case["output"]
    assert result.amount == Decimal(expected["amount"])
    assert result.provisional is expected["provisional"]
    assert result.missing_parameters == expected.get("missing_parameters", [])


def test_every_family_has_at_least_four_cases():
    counts = {}
    for path in CASES_DIR.glob("*.yaml"):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        counts[content["family"]] = len(content["cases"])
    assert {family: counts.get(family, 0) for family in RULES if counts.get(family, 0) < 4} == {}
