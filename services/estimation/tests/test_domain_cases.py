"""Hand-computed cases per PS family (``cases/<family>.yaml``, in the spirit of OpenFisca's YAML tests).

Each case states its inputs, period, the parameter values its hand computation used, and the expected amount;
the runner checks those parameter values against the barème actually applied, then the amount and flags.

Each file also says where its figures come from (``sources``): ``entrees``, the origin of the inputs, and
``parametres``, for every parameter value its cases use (name, then the date the value applies from), the
document it comes from — issuer, title, date, reference — or, for a value still unsourced, why (« non sourcé … »).
The runner checks that every value a case uses is cited there, that the citation names the barème's issuer and
year (or says « non sourcé » exactly when the barème does), and that nothing is cited that no case uses.
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
from afas_estimation.domain.parameters.model import UNSOURCED, Provenance, Resolved
from afas_estimation.domain.rules.registry import RULES

CASES_DIR = Path(__file__).parent / "cases"
CASE_SOURCE = Provenance("Délibération du conseil d'administration", "Caf du Nord", date(2025, 1, 1), "CA 2025-01")


def _files():
    for path in sorted(CASES_DIR.glob("*.yaml")):
        yield yaml.safe_load(path.read_text(encoding="utf-8"))


def _cases():
    for content in _files():
        for case in content["cases"]:
            yield pytest.param(
                content["family"], case, content.get("sources"), id=f"{content['family']}: {case['name']}"
            )


def _with_local(family: str, case: dict):
    """A case's ``local`` values (a Caf's local parameters, ``{name: {from, value}}``) added to the national barème."""
    values = [
        LocalValue("059", family, name, raw["from"], Decimal(raw["value"]), CASE_SOURCE)
        for name, raw in (case.get("local") or {}).items()
    ]
    return with_local(load_family(family), values) if values else None


def _run(family: str, case: dict):
    return estimate(family, case.get("nature"), case["period"], case["input"], bareme=_with_local(family, case))


def _cited(sources: dict | None, parameter: Resolved) -> None:
    """``parameter`` (a value a case used) is cited in its file's ``sources`` as the barème states it."""
    assert isinstance(sources, dict) and str(sources.get("entrees") or "").strip(), "say where the inputs come from"
    text = str(((sources.get("parametres") or {}).get(parameter.name) or {}).get(parameter.since) or "")
    where = f"{parameter.name} from {parameter.since}"
    assert text.strip(), f"{where}: no source in the case file's `sources.parametres`"
    if parameter.sourced:
        assert parameter.source is not None
        assert parameter.source.issuer in text, f"{where}: the source should name {parameter.source.issuer!r}"
        assert str(parameter.source.published.year) in text, f"{where}: the source should give its date"
    else:
        assert text.lower().startswith(UNSOURCED), f"{where} is unsourced in the barème: say « non sourcé »"


@pytest.mark.parametrize(("family", "case", "sources"), list(_cases()))
def test_hand_computed_case(family, case, sources):
    result = _run(family, case)
    for parameter in result.parameters:
        _cited(sources, parameter)

    used = {p.name: p.value for p in result.parameters}
    for name, value in (case.get("parameters") or {}).items():
        assert used.get(name) == Decimal(str(value)), f"the hand computation assumed {name} = {value}"
    expected = case["output"]
    assert result.amount == Decimal(expected["amount"])
    assert result.provisional is expected["provisional"]
    assert result.missing_parameters == expected.get("missing_parameters", [])


@pytest.mark.parametrize("content", list(_files()), ids=lambda content: content["family"])
def test_a_case_file_cites_only_values_its_cases_use(content):
    used = {(p.name, p.since) for case in content["cases"] for p in _run(content["family"], case).parameters}
    cited = {(name, since) for name, dates in content["sources"]["parametres"].items() for since in dates}
    assert cited == used


def test_every_family_has_at_least_four_cases():
    counts = {}
    for path in CASES_DIR.glob("*.yaml"):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        counts[content["family"]] = len(content["cases"])
    assert {family: counts.get(family, 0) for family in RULES if counts.get(family, 0) < 4} == {}
