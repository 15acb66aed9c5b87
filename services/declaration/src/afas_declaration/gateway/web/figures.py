"""Which computed figures of a form can be shown: a total of nothing typed is « — », not « 0,00 ».

The forms' computed fields count a missing input as 0 (a running total of what was typed is useful while a draft
is filled, see ``domain.forms.expressions``); but a total or a ratio none of whose inputs was typed is not a
figure, and a « 0,00 » there reads as a declared zero. The page shows « — » until at least one input it is
computed from has a value; afas.js applies the same rule after each autosave, from ``data-entrees``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from afas_declaration.gateway.web.labels import definitions


@cache
def typed_inputs(field_id: str) -> tuple[str, ...]:
    """The fields a person types that ``field_id`` is computed from, through computed fields in between (the union
    over the families that have such a computed field); empty for a field that is not computed."""
    found: set[str] = set()
    for definition in definitions().values():
        fields = definition.declaration_fields
        if field_id not in fields or fields[field_id].expression is None:
            continue
        pending, seen = [field_id], set()
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            expression = fields[current].expression if current in fields else None
            if expression is None:
                found.add(current)
            else:
                pending.extend(expression.dependencies)
    return tuple(sorted(found))


def computable(field_id: str, values: Mapping[str, Any]) -> bool:
    """True when at least one input of the computed field has a value (or the field is not computed)."""
    inputs = typed_inputs(field_id)
    return not inputs or any(values.get(name) not in (None, "") for name in inputs)
