"""A request the tests write with estimation's attribute names, as it travels: under the contract's (the API's) names.

The tests read as estimation's code does (``value``, ``applies_from``); the wire knows the API's names only
(``valeur``, ``applicable_depuis``), so the refusals they assert name the API's fields.
"""

from __future__ import annotations

from typing import Any

from afas_shared.contracts.rpc import contract_for


def on_the_wire(verb: str, payload: dict[str, Any]) -> dict[str, Any]:
    fields = contract_for("estimation", verb).request.model_fields
    names = {name: info.alias or name for name, info in fields.items()}
    return {names.get(key, key): value for key, value in payload.items()}
