"""The ``estimate`` request and the one computation behind every amount estimation produces.

Payload ``{famille, nature, type_declaration, exercice, caf, activite_id?, valeurs: {field_id: str}}`` (the API's
names, ``EstimateRequestV1``; the attributes keep estimation's). The declaration type and Caf code are echoed back;
the Caf code also selects the Caf's local parameters (``local_parameters``), the activity its territory's amount per
new place (``territories``). A refusal names the request's field as it travels, or the figure at fault by its id.

``outcome`` is what the instant estimate, the stored estimates re-computed after a barème change and the
entitlement of a validated declaration all call: same rules, same effective barème, same rounding.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from afas_estimation.application.baremes import Effective
from afas_estimation.application.localised_baremes import LocalisedBaremes
from afas_estimation.application.territories import read_activity
from afas_estimation.domain.errors import EstimationError, InvalidInputs
from afas_estimation.domain.estimate import estimate as compute_estimate
from afas_estimation.domain.explanation import estimate_json
from afas_estimation.domain.result import Estimate
from afas_shared.contracts.rpc.estimation import EstimateRequestV1

DECLARATION_TYPES = frozenset({"previsionnelle", "reelle", "actualisee_juin", "actualisee_septembre"})


class InvalidRequest(ValueError):
    """The request itself is malformed (not the figures): French message and field at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Outcome:
    """An amount (text, two places) or why there is none; ``result`` is the explained estimate when computed."""

    amount: str | None
    provisional: bool
    error: str | None
    result: Estimate | None


def outcome(effective: Effective, nature: str | None, exercice: Any, figures: Mapping[str, Any]) -> Outcome:
    """The estimate of these figures with this barème; a refusal (missing figure…) becomes ``error``, never 0."""
    try:
        result = compute_estimate(effective.family, nature, exercice, figures, bareme=effective.bareme)
    except EstimationError as exc:
        return Outcome(None, False, exc.message, None)
    return Outcome(format(result.amount, "f"), result.provisional, None, result)


def explained(effective: Effective, result: Estimate) -> dict[str, Any]:
    return {
        **estimate_json(result),
        "version_bareme": effective.version,
        "empreinte_bareme": effective.fingerprint,
    }


def _wire(attribute: str) -> str:
    """The name a request field travels under (``family`` → ``famille``)."""
    info = EstimateRequestV1.model_fields[attribute]
    return info.alias or attribute


class Remembered:
    """The explained estimates of the latest inputs, answered again without computing them: a declaration asks for
    the same figures' estimate several times (the estimate step, its controls, its transmit).

    An input is the request (figures, family, nature, exercice, type, Caf, activity) together with the barème
    versions read for it — the family's national version and the Caf's local version, read on every request — so
    a barème change, by any replica, is applied by the very next estimate. The ``size`` latest inputs are kept."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._answers: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        found = self._answers.get(key)
        if found is not None:
            self._answers.move_to_end(key)
        return found

    def keep(self, key: tuple[Any, ...], answer: dict[str, Any]) -> None:
        self._answers[key] = answer
        if len(self._answers) > self.size:
            self._answers.popitem(last=False)


def _request_key(request: EstimateRequestV1, figures: Mapping[str, Any]) -> bytes | None:
    """The request's inputs as canonical JSON (keys sorted); None when they do not write as JSON (never kept)."""
    inputs = [
        request.family,
        request.nature,
        request.exercice,
        request.declaration_type,
        request.caf_code,
        request.activity_id,
        figures,
    ]
    try:
        return orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson's error for what it cannot write (a non-text key, an integer beyond 64 bits)
        return None


async def estimate(
    baremes: LocalisedBaremes, request: EstimateRequestV1, remembered: Remembered | None = None
) -> dict[str, Any]:
    """The explained estimate; raise ``EstimationError`` (the figures) or ``InvalidRequest`` (the request's fields).

    With ``remembered``: an input already estimated at the same barème versions is answered from it (a copy)."""
    figures = request.figures
    if figures is None:
        figures = {}
    if not isinstance(figures, dict):
        raise InvalidRequest(
            "Les données de la déclaration (valeurs) doivent être un objet champ → valeur.", _wire("figures")
        )
    declaration_type = request.declaration_type
    if declaration_type is not None and declaration_type not in DECLARATION_TYPES:
        raise InvalidRequest(f"Type de déclaration inconnu : {declaration_type!r}.", _wire("declaration_type"))
    family = request.family
    if not isinstance(family, str):
        raise InvalidRequest("Indiquez le type d'activité (famille de prestation).", _wire("family"))
    activity_id = read_activity(request.activity_id)  # optional: selects the activity's territory
    try:
        effective, versions = await baremes.versioned(family, request.caf_code, activity_id)
        inputs = _request_key(request, figures) if remembered is not None else None
        key = (versions, inputs)
        if remembered is not None and inputs is not None and (found := remembered.get(key)) is not None:
            return dict(found)
        result = compute_estimate(family, request.nature, request.exercice, figures, bareme=effective.bareme)
    except InvalidInputs:
        raise  # names the figure at fault by its id (a form's field, not the request's)
    except EstimationError as exc:  # the family, nature or exercice: named as the request carries them
        if exc.field in EstimateRequestV1.model_fields:
            raise InvalidRequest(exc.message, _wire(exc.field)) from None
        raise
    answer = {
        **explained(effective, result),
        "type_declaration": declaration_type,
        "caf_code": request.caf_code,
    }
    if remembered is not None and inputs is not None:
        remembered.keep(key, answer)
        return dict(answer)  # the caller's own top level; what is below it is never changed once answered
    return answer
