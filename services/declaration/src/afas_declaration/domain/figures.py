"""The aggregate figures of a declaration: what the coherence controls read and the estimation service receives.

A declaration has one activity form per site (multi-site activities) and at most one financial form. Figures
are one flat mapping, field id -> value, built from both:

- typed numeric fields (integer, decimal, hours, euros) are **summed** over the sites: places, hours, families,
  euros and posts of several sites add up;
- except the site's calendar — days of opening in the year (unit ``jours``) and hours a day (unit ``h``, at
  most 24): summing them would give 400 days a year, so they are the **plain mean** of the sites;
- typed percent fields (``part_regime_general``) are **averaged, weighted by ``heures_realisees``** when the form
  has that field and every site giving the percent gives its hours too (a site with more hours weighs more in
  the subsidy); otherwise the plain mean of the sites that gave it;
- booleans are **True if any site is True** (« les repas sont fournis » holds for the activity as soon as one
  site supplies them), False if every site that answered said no, None if none answered;
- texts are kept when the sites agree, else joined with " / ";
- computed quantities (hours, euros…) are **summed** like typed ones: the same as recomputing a sum, and the
  only right answer for a product (places × days × hours a day differs from site to site);
- computed ratios (percent) are **recomputed from the aggregated figures** with the form's own expressions:
  a sum or a mean of per-site ratios is not the ratio of the activity;
- the financial values are merged in; the two forms of a family never share a field id (checked).

Raw values are what stored forms hold (JSON: numbers as strings like "12500.50"); str, int and Decimal are
accepted. A value the form refuses (wrong type, out of bounds) is left out here; the controls report it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from afas_declaration.domain.forms.model import FamilyDefinition, FieldDefinition, FormDefinition, fields_for
from afas_declaration.domain.forms.values import Value, validate_values

# The forms compute their totals in _fill_computed; aggregated figures reuse it rather than a second copy
from afas_declaration.domain.forms.values import _fill_computed as fill_computed

Figures = dict[str, Value]

_ADDITIVE_TYPES = frozenset({"integer", "decimal", "hours", "euros"})
_WEIGHT = "heures_realisees"
_HUNDREDTHS = Decimal("0.01")
_HOURS_A_DAY = 24


def declaration_figures(
    family: FamilyDefinition,
    nature: str,
    activity_values: list[Mapping[str, Any]],
    financial_values: Mapping[str, Any] | None,
) -> Figures:
    """Every field of the activity form (aggregated over sites), then of the financial form if given; None if empty."""
    activity, financial = family.forms["activite"], family.forms["financier"]
    sites = [validate_values(activity, nature, values)[0] for values in activity_values]
    cleaned = validate_values(financial, nature, financial_values)[0] if financial_values is not None else None
    return combined_figures(family, nature, sites, cleaned)


def combined_figures(
    family: FamilyDefinition,
    nature: str,
    sites: Sequence[Mapping[str, Value]],
    financial: Mapping[str, Value] | None,
) -> Figures:
    """``declaration_figures`` from values already cleaned by ``validate_values``."""
    activity_form, financial_form = family.forms["activite"], family.forms["financier"]
    shared = sorted(set(activity_form.fields) & set(financial_form.fields))
    if shared:
        raise ValueError(f"family {family.family!r}: field id(s) {shared} are in both forms; figures would collide")
    figures = aggregate_sites(activity_form, nature, sites)
    if financial is not None:
        figures.update({f.id: financial.get(f.id) for f in fields_for(financial_form, nature)})
    return figures


def aggregate_sites(form: FormDefinition, nature: str, sites: Sequence[Mapping[str, Value]]) -> Figures:
    """The cleaned values of several sites of ``form`` as one (rules in the module docstring)."""
    applicable = {f.id: f for f in fields_for(form, nature)}
    combined: dict[str, Value] = {}
    for field in applicable.values():
        if field.is_computed and field.type == "percent":
            continue
        given = [site[field.id] for site in sites if site.get(field.id) is not None]
        value = _combine(field, given, sites)
        if value is not None:
            combined[field.id] = value
    ratios = {
        field_id: field for field_id, field in applicable.items() if field.is_computed and field.type == "percent"
    }
    fill_computed(form, ratios, combined)
    return {field_id: combined.get(field_id) for field_id in applicable}


def _combine(field: FieldDefinition, given: list[Value], sites: Sequence[Mapping[str, Value]]) -> Value:
    if not given:
        return None
    if _is_calendar(field):
        return _mean(field, given)
    if field.type in _ADDITIVE_TYPES:
        return sum(_numbers(given), Decimal(0))
    if field.type == "percent":
        return _weighted_percent(field, sites)
    if field.type == "boolean":
        return any(given)
    distinct = list(dict.fromkeys(str(value) for value in given))
    return " / ".join(distinct)


def _is_calendar(field: FieldDefinition) -> bool:
    return field.unit == "jours" or (field.unit == "h" and field.max is not None and field.max <= _HOURS_A_DAY)


def _numbers(given: list[Value]) -> list[Decimal]:
    # The values of a numeric field, cleaned by validate_values: Decimal (a type-only cast, no conversion)
    return cast(list[Decimal], given)


def _mean(field: FieldDefinition, given: list[Value]) -> Decimal:
    mean = sum(_numbers(given), Decimal(0)) / len(given)
    return mean.quantize(Decimal(1) if field.type == "integer" else _HUNDREDTHS, rounding=ROUND_HALF_UP)


def _weighted_percent(field: FieldDefinition, sites: Sequence[Mapping[str, Value]]) -> Decimal:
    # A percent and heures_realisees are numeric fields, cleaned to Decimal (type-only casts, no conversion)
    pairs = cast(
        list[tuple[Decimal, Decimal | None]],
        [(site[field.id], site.get(_WEIGHT)) for site in sites if site.get(field.id) is not None],
    )
    weights = [weight for _, weight in pairs]
    if all(isinstance(weight, Decimal) for weight in weights) and sum(cast(list[Decimal], weights), Decimal(0)) > 0:
        mean = sum((value * cast(Decimal, weight) for value, weight in pairs), Decimal(0)) / sum(
            cast(list[Decimal], weights), Decimal(0)
        )
    else:
        mean = sum((value for value, _ in pairs), Decimal(0)) / len(pairs)
    return mean.quantize(_HUNDREDTHS, rounding=ROUND_HALF_UP)
