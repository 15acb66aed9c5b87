"""The shape of a payment policy file and of the Caf → policy mapping, as pydantic models, and the values built.

The models check each value where it stands; ``build_policy`` then checks what spans the file (at most two
advances adding up to 100 % at most, a cap naming advances of the policy). Every refusal names the file and the
place, ``cap: percent: …`` (see ``afas_shared.yaml_definitions``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo, field_validator

from afas_estimation.domain.payments.model import (
    BASES,
    CAPPABLE,
    COMPARISONS,
    TRIGGERS,
    AdvanceBase,
    AdvanceRule,
    CafPolicies,
    CapRule,
    GapComparison,
    PaymentPolicy,
    PolicyError,
    Trigger,
    normalise_caf,
)
from afas_shared.yaml_definitions import DefinitionModel, Flag, OptionalText, Refusal, Text, checked, non_empty_list

POLICY_ID = re.compile(r"[a-z][a-z0-9_]*")
_MAX_ADVANCES = 2


def _percent(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Refusal(f"expected a percentage such as 40, got {value!r}")
    try:
        percent = Decimal(str(value).strip())
    except InvalidOperation:
        raise Refusal(f"expected a percentage such as 40, got {value!r}") from None
    if not percent.is_finite() or not 0 < percent <= 100:
        raise Refusal(f"a percentage must be above 0 and at most 100, got {value!r}")
    return percent


def _choice(allowed: tuple[str, ...]) -> BeforeValidator:
    def check(value: Any) -> Any:
        if value not in allowed:
            raise Refusal(f"expected one of {', '.join(allowed)}, got {value!r}")
        return value

    return BeforeValidator(check)


Percent = Annotated[Decimal, BeforeValidator(_percent)]


class AdvanceModel(DefinitionModel):
    percent: Percent
    trigger: Annotated[Trigger, _choice(TRIGGERS)]
    label: Text
    base: Annotated[AdvanceBase, _choice(BASES)] = "forecast"


Advances = Annotated[list[AdvanceModel], BeforeValidator(non_empty_list)]
OptionalAdvances = Annotated[
    list[AdvanceModel] | None, BeforeValidator(lambda v: None if v is None else non_empty_list(v))
]


class CapModel(DefinitionModel):
    percent: Percent
    gap_threshold_percent: Percent
    applies_to: list[str]
    compare: Annotated[GapComparison, _choice(COMPARISONS)] = "previous_forecast_vs_actual"

    @field_validator("applies_to", mode="before")
    @classmethod
    def _payment_kinds(cls, value: Any) -> list[str]:
        if not isinstance(value, list) or not value:
            raise Refusal("expected a non-empty list of payment kinds")
        return value


class PolicyModel(DefinitionModel):
    id: str
    label: Text
    source: OptionalText = None
    top_ups: Flag
    advances: Advances
    new_equipment: Annotated[
        list[AdvanceModel] | None, BeforeValidator(lambda v: None if v is None else non_empty_list(v))
    ] = None
    cap: CapModel | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _stored_id(cls, value: Any, info: ValidationInfo) -> str:
        if not isinstance(value, str) or not POLICY_ID.fullmatch(value):
            raise Refusal(f"invalid policy id {value!r}")
        expected = (info.context or {}).get("id")
        if expected is not None and value != expected:
            raise Refusal(f"{value!r} does not match the file name {expected!r}")
        return value


def build_policy(raw: Any, source: str, expected_id: str | None = None) -> PaymentPolicy:
    """Check a parsed policy document and build it; ``source`` prefixes every error message."""

    def build(data: Any) -> PaymentPolicy:
        model = PolicyModel.model_validate(data, context={"id": expected_id})
        advances = _advance_rules(model.advances, "advances")
        new_equipment = _advance_rules(model.new_equipment, "new_equipment") if model.new_equipment else ()
        cap = None
        if model.cap is not None:
            kinds = {rule.kind for rule in advances} | {"complement"}
            for kind in model.cap.applies_to:
                if kind not in CAPPABLE or kind not in kinds:
                    raise Refusal(f"{kind!r} is not an advance of this policy", "cap", "applies_to")
            limits = model.cap
            cap = CapRule(limits.percent, limits.gap_threshold_percent, tuple(limits.applies_to), limits.compare)
        return PaymentPolicy(model.id, model.label, advances, model.top_ups, cap, model.source, new_equipment)

    return checked(build, raw, source, PolicyError, separator=": ")


def _advance_rules(models: list[AdvanceModel], key: str) -> tuple[AdvanceRule, ...]:
    rules = tuple(
        AdvanceRule(f"acompte_{index + 1}", model.percent, model.trigger, model.label, model.base)
        for index, model in enumerate(models)
    )
    if len(rules) > _MAX_ADVANCES:
        raise Refusal(f"at most two advances (acompte_1, acompte_2), got {len(rules)}", key)
    total = sum((rule.percent for rule in rules), Decimal(0))
    if total > 100:
        raise Refusal(f"they add up to {total} %, above 100 %", key)
    return rules


class MappingModel(DefinitionModel):
    default: Any
    cafs: dict[Any, Any]

    @field_validator("cafs", mode="before")
    @classmethod
    def _mapping(cls, value: Any) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise Refusal(f"expected a mapping, got {type(value).__name__}")
        return value


def build_caf_policies(raw: Any, source: str, known: Callable[[str], bool]) -> CafPolicies:
    """The Caf → policy mapping of the parsed file ``source``; ``known(id)`` says whether a policy id loads."""

    def policy_ref(value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise Refusal(f"expected a policy id, got {value!r}", where)
        if not known(value):
            raise Refusal(f"unknown payment policy {value!r}", where)
        return value

    def build(data: Any) -> CafPolicies:
        model = MappingModel.model_validate(data)
        default = policy_ref(model.default, "default")
        by_caf: dict[str, str] = {}
        for caf, policy_id in model.cafs.items():
            where = f"cafs.{caf}"
            if not isinstance(caf, str):
                raise Refusal(f'quote the Caf code (e.g. "092"), YAML reads {caf!r} as a number', where)
            try:
                code = normalise_caf(caf)
            except PolicyError as error:
                raise Refusal(str(error), where) from None
            if code in by_caf:
                raise Refusal(f"Caf {code} listed twice", where)
            by_caf[code] = policy_ref(policy_id, where)
        return CafPolicies(default=default, by_caf=by_caf)

    return checked(build, raw, source, PolicyError, separator=": ")
