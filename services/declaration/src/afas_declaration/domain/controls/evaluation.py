"""Run a family's controls over a declaration: derived form checks first, then every applicable YAML control.

A control is evaluated once per site (scope ``activite``), once on the financial form (``financier``, skipped
when that form is not requested) or once on the declaration's aggregate figures (``declaration``). Its verdict
is ``ok``, ``anomalie``, or ``non_evalue`` when an input is empty or undefined (a ratio over zero): a control
never guesses, and never crashes on an incomplete draft.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from afas_declaration.domain.controls.derived import form_checks
from afas_declaration.domain.controls.french import french_number, quantized
from afas_declaration.domain.controls.model import (
    FORECAST_PREFIX,
    PREVIOUS_PREFIX,
    REFERENCE_PREFIX,
    SEVERITIES,
    ControlDefinition,
    ControlResult,
    ControlSet,
)
from afas_declaration.domain.controls.names import named_inputs, resolve, scope_fields
from afas_declaration.domain.figures import combined_figures
from afas_declaration.domain.forms.expressions import Expression, evaluate
from afas_declaration.domain.forms.model import DECLARATION_TYPES
from afas_declaration.domain.forms.values import validate_values

ActivityForm = tuple[str | None, Mapping[str, Any]]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def run_controls(
    control_set: ControlSet,
    nature: str,
    declaration_type: str,
    activity_forms: Sequence[ActivityForm],
    financial_values: Mapping[str, Any] | None = None,
    previous: Mapping[str, Any] | None = None,
    forecast: Mapping[str, Any] | None = None,
    references: Mapping[str, Any] | None = None,
) -> list[ControlResult]:
    """Every control result of a declaration, blocking ones first, each group in definition and site order.

    ``activity_forms``: (site name or None, raw values) per activity form; ``financial_values``: None when the
    financial form is not requested. ``previous`` / ``forecast``: figures (``declaration_figures``) of the same
    activity's previous declaration / of the same exercice's forecast, read as ``precedent_<id>`` /
    ``previsionnel_<id>``; ``references``: reference values such as ``prix_plafond``, read as ``reference_<id>``.
    """
    forms = control_set.forms
    if nature not in forms.natures:
        raise ValueError(f"unknown nature {nature!r} for family {forms.family!r}")
    if declaration_type not in DECLARATION_TYPES:
        raise ValueError(f"unknown declaration type {declaration_type!r}; expected one of {DECLARATION_TYPES}")
    sites = [site for site, _ in activity_forms]
    if len(set(sites)) != len(sites):
        raise ValueError(f"activity forms need distinct site names, got {sites}")
    activity, financial = forms.forms["activite"], forms.forms["financier"]
    results: list[ControlResult] = []
    cleaned_sites = []
    for site, raw in activity_forms:
        cleaned, problems = validate_values(activity, nature, raw)
        results += form_checks(activity, nature, declaration_type, raw, problems, site)
        cleaned_sites.append(cleaned)
    cleaned_financial = None
    if financial_values is not None:
        cleaned_financial, problems = validate_values(financial, nature, financial_values)
        results += form_checks(financial, nature, declaration_type, financial_values, problems, None)
    outside = _prefixed(references, REFERENCE_PREFIX)
    figures = combined_figures(forms, nature, cleaned_sites, cleaned_financial)
    declaration = {**figures, **_prefixed(previous, PREVIOUS_PREFIX), **_prefixed(forecast, FORECAST_PREFIX), **outside}
    for control in control_set.controls:
        if not control.applies_to(nature, declaration_type):
            continue
        if control.scope == "activite":
            for site, cleaned in zip(sites, cleaned_sites, strict=True):
                results.append(evaluate_control(control_set, control, {**cleaned, **outside}, site))
        elif control.scope == "financier":
            if cleaned_financial is not None:
                results.append(evaluate_control(control_set, control, {**cleaned_financial, **outside}, None))
        else:
            results.append(evaluate_control(control_set, control, declaration, None))
    return sorted(results, key=lambda result: SEVERITIES.index(result.severity))


def evaluate_control(
    control_set: ControlSet, control: ControlDefinition, namespace: Mapping[str, Any], site: str | None
) -> ControlResult:
    """The verdict of one control on ``namespace`` (field ids and prefixed outside figures to values)."""
    expressions = [e for e in (control.measure, control.minimum, control.maximum) if e is not None]
    direct = [name for expression in expressions for name in _in_order(expression)]
    fields = scope_fields(control_set.forms, control.scope)
    inputs = named_inputs(direct, fields)
    numbers: dict[str, Decimal | None] = {}
    empty = []
    for name in inputs:
        value = namespace.get(name)
        if isinstance(value, Decimal):
            numbers[name] = value
        elif control.empty_as_zero:
            numbers[name] = Decimal(0)
        else:
            empty.append(name)
            numbers[name] = None  # undefined, so that any expression reading it is undefined too
    base: dict[str, Any] = dict(
        control_id=control.id,
        severity=control.severity,
        form=None if control.scope == "declaration" else control.scope,
        site=site,
        label=control.label,
        unit=control.unit,
        field_ids=_field_ids(control_set, control, direct),
    )
    # An empty computed field whose own inputs are all there is a ratio over zero, not a missing figure
    typed = [name for name in empty if name not in fields or fields[name].expression is None]
    if typed:
        labels = ", ".join(f"« {_name(control_set, control, name).label} »" for name in typed)
        reason = f"donnée manquante : {labels}" if len(typed) == 1 else f"données manquantes : {labels}"
        return ControlResult(status="non_evalue", message=f"{control.label} : non évalué, {reason}.", **base)
    measured = evaluate(control.measure, numbers)
    minimum, maximum = (_bound(control, e, numbers) for e in (control.minimum, control.maximum))
    if (
        measured is None
        or (control.minimum is not None and minimum is None)
        or (control.maximum is not None and maximum is None)
    ):
        message = f"{control.label} : non évalué, calcul impossible (division par zéro)."
        return ControlResult(status="non_evalue", message=message, **base)
    measured = quantized(measured, control.decimals)
    status, threshold = _verdict(control, measured, minimum, maximum)
    texts = {name: _figure(value, _name(control_set, control, name).unit) for name, value in numbers.items()}
    texts["mesure"] = french_number(measured, control.unit, control.decimals)
    texts["seuil"] = french_number(threshold, control.unit)
    if minimum is not None:
        texts["min"] = french_number(minimum, control.unit)
    if maximum is not None:
        texts["max"] = french_number(maximum, control.unit)
    message = control.message.format_map(texts)
    return ControlResult(status=status, message=message, measured=measured, threshold=threshold, **base)


def _verdict(
    control: ControlDefinition, measured: Decimal, minimum: Decimal | None, maximum: Decimal | None
) -> tuple[str, Decimal]:
    if minimum is not None and (measured < minimum or (control.strict and measured == minimum)):
        return "anomalie", minimum
    if maximum is not None and (measured > maximum or (control.strict and measured == maximum)):
        return "anomalie", maximum
    if minimum is None or maximum is None:
        return "ok", minimum if minimum is not None else maximum  # type: ignore[return-value]
    # Within a band, the bound the figure is closest to is the one worth showing
    return "ok", minimum if measured - minimum <= maximum - measured else maximum


def _bound(control: ControlDefinition, expression: Expression | None, numbers: Mapping[str, Decimal | None]):
    if expression is None:
        return None
    value = evaluate(expression, numbers)
    # A written threshold (107) is shown as written; a computed one (2 × a ceiling) at the measure's precision
    if value is None or not expression.names:
        return value
    return quantized(value, control.decimals)


def _figure(value: Decimal | None, unit: str | None) -> str:
    assert value is not None
    # Amounts in cents, other figures without trailing zeros: « 1 234,50 € », « 48 400 h », « 1,5 ETP »
    if unit is not None and "€" in unit:
        return french_number(value, unit, 2)
    return french_number(value.normalize() if value != value.to_integral_value() else value.quantize(1), unit)


def _in_order(expression: Expression) -> list[str]:
    return list(dict.fromkeys(n for n in _NAME.findall(expression.source) if n in expression.names))


def _name(control_set: ControlSet, control: ControlDefinition, name: str):
    resolved = resolve(name, control.scope, control_set.forms, control_set.references)
    assert resolved is not None, f"{control.id}: {name!r} was checked at load time"
    return resolved


def _field_ids(control_set: ControlSet, control: ControlDefinition, names: list[str]) -> tuple[str, ...]:
    ids = (_name(control_set, control, name).field_id for name in names)
    return tuple(dict.fromkeys(i for i in ids if i is not None))


def _prefixed(values: Mapping[str, Any] | None, prefix: str) -> dict[str, Decimal | None]:
    return {f"{prefix}{key}": _as_decimal(value) for key, value in (values or {}).items()}


def _as_decimal(value: Any) -> Decimal | None:
    """Outside figures as they arrive (Decimal, int, or JSON strings like "12500.50"); anything else is undefined."""
    if isinstance(value, bool):
        return None  # a bool is an int to Python, but "true" is no figure
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            return None
    elif isinstance(value, int):
        value = Decimal(value)
    return value if isinstance(value, Decimal) and value.is_finite() else None
