"""Estimation as declaration's use cases meet it over the bus: ``estimation.rpc.estimate.v1`` answered with the
amount a test chooses, built from estimation's reply contract (``EstimateV1``, sent as ``{"result": …}``, the request's
family, nature, exercice, type and Caf echoed back), refused with a French reason, or not answered at all.

The amount is the test's choice: what declaration does with it (controls against the ceiling, the snapshot, the
event) is what the tests check, not estimation's rules, which estimation's own tests cover.
"""

from __future__ import annotations

from typing import Any

from afas_shared.contracts.rpc.estimation import EstimateRequestV1
from afas_shared.contracts.rpc.estimation_explanations import EstimateV1, Step
from services.declaration.tests.use_case_harness import InMemoryBus

SERVICE, VERB = "estimation", "estimate"


def _step(label: str, value: str) -> Step:
    return Step(libelle=label, valeur=value, unite="euros", affichage=f"{value} €", formule="", bonus=False)


class Estimation:
    def __init__(self, bus: InMemoryBus) -> None:
        self._bus = bus

    def answers(self, amount: str, *, ceiling: str | None = None) -> None:
        """From now on every estimate is ``amount`` (euros, text); ``ceiling``: the price ceiling per hour the rule
        applied, one of its steps (what the cost-per-unit control compares with)."""

        async def estimate(payload: dict[str, Any]) -> dict[str, Any]:
            request = EstimateRequestV1.model_validate(payload, by_alias=True, by_name=False)  # as estimation reads it
            steps = [_step("Prix plafond horaire", ceiling)] if ceiling else []
            steps.append(_step("Prestation de service", amount))
            reply = EstimateV1(
                famille=request.family,
                nature=request.nature,
                exercice=request.exercice,
                montant=amount,
                montant_affiche=f"{amount} €",
                arrondi="Montant arrondi au centime le plus proche",
                provisoire=False,
                partielle=False,
                parties_non_calculees=[],
                parametres_manquants=[],
                parametres_manquants_libelles=[],
                parametres_non_sources=[],
                parametres_non_sources_libelles=[],
                avertissements=[],
                etapes=steps,
                parametres=[],
                entrees=dict(request.figures or {}),
                type_declaration=request.declaration_type,
                caf_code=request.caf_code,
            )
            return {"result": reply.model_dump(mode="json")}

        self._bus.answer(SERVICE, VERB, estimate)

    def refuses(self, detail: str, field: str | None = None) -> None:
        """Estimation refuses the figures (a missing or invalid one), naming it by its id."""

        async def refusal(payload: dict[str, Any]) -> dict[str, Any]:
            return {"error": "invalid", "detail": detail, "field": field}

        self._bus.answer(SERVICE, VERB, refusal)

    def down(self) -> None:
        self._bus.answer(SERVICE, VERB, None)

    @property
    def asked(self) -> list[dict[str, Any]]:
        """The payloads of the estimates asked so far, oldest first, as they travel (the API's names: ``famille``…)."""
        return [r.payload for r in self._bus.requests if (r.service, r.verb) == (SERVICE, VERB)]
