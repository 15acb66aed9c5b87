"""What estimation consumes and answers on the bus (its status responder comes with the runtime).

Verbs (``estimation.rpc.<verb>.v1``, each answering ``{"result": …}``; the gateway forwards the caller as ``actor``),
each read and answered through its contract (``afas_shared.contracts.rpc.estimation``, fields named as the public
API names them: ``famille``, ``valeur``, ``applicable_depuis``, ``motif``…; estimation's names below):

* ``estimate`` {famille, nature, type_declaration, exercice, caf, activite_id?, valeurs} → the explained estimate
  (no caller: the declaration service asks on every save);
* ``parameters`` {actor, family} → the family's effective barème, provenance and history of changes;
* ``set_parameter`` {actor, family, parameter, nature?, applies_from, value, provenance: {titre, emetteur, date,
  reference|adresse, note?}, reason?} → the change (national barèmes: the Cnaf's ``parametrage_national`` agents
  only); the open declarations of every Caf are re-estimated in the background;
* ``reestimation`` {actor, job_id} → progress of the re-estimation a change started;
* ``payments`` {actor, activity_id, exercice} → what has been / will be paid, with totals;
* ``record_prior_payments`` {actor, activity_id, exercice, advances, balance?} → a Caf agent of the activity's
  Caf records what was paid before the platform (until then: « acomptes antérieurs non connus »);
* ``record_prior_actual`` {actor, activity_id, exercice, entitlement, forecast?} → a Caf agent of the activity's
  Caf records the actual entitlement of an exercice validated before the platform (the Caf du Nord's first
  advance rests on the actual N-2, its cap compares with the actual N-1);
* ``entitlement`` {actor, declaration_id} → the entitlement of a validated declaration, explained;
* ``territories`` {actor, caf} → the Caf's territories (amounts per new place, activities) for its agents;
  ``set_territory`` {actor, caf, code, name, applies_from, value, provenance, reason?} and ``assign_territory``
  {actor, activity_id, territory, reason?} → that Caf's paramétrage agents only; that Caf's declarations re-estimated;
* ``payment_policy`` {caf} → the Caf's payment policy; ``set_payment_policy`` {actor, caf, policy, reason?} → a
  local rule: that Caf's paramétrage agents choose it (never another Caf's); only that Caf's schedules move.
"""

from __future__ import annotations

import functools
from typing import Any

from afas_estimation.application import (
    access,
    bareme_changes,
    baremes,
    declarations,
    entitlements,
    estimates,
    local_parameters,
    payment_policies,
    payments,
    prior_records,
    reestimation,
    territories,
)
from afas_estimation.application.localised_baremes import LocalisedBaremes
from afas_estimation.domain.errors import EstimationError
from afas_estimation.domain.parameters.local import local_spec
from afas_shared.auth.caller import ForwardedCaller, forwarded_caller
from afas_shared.contracts.events.declaration import (
    DeclarationCancelledV1,
    DeclarationFiguresUpdatedV1,
    DeclarationValidatedV1,
)
from afas_shared.contracts.rpc import contract_for
from afas_shared.contracts.rpc import estimation as rpc
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.rpc_payload import answer_contract, the_payload
from afas_shared.runtime import ServiceRuntime


def register(runtime: ServiceRuntime) -> None:
    cache = LocalisedBaremes(runtime.db)
    remembered = estimates.Remembered()
    worker = reestimation.Reestimator(
        runtime.db, lambda: runtime.clock, runtime.relay.wake, runtime.settings.reestimation_batch_size
    )
    runtime.state["baremes"], runtime.state["reestimator"] = cache, worker

    runtime.consume(DeclarationFiguresUpdatedV1, functools.partial(declarations.on_figures_updated, baremes=cache))
    runtime.consume(DeclarationValidatedV1, entitlements.on_validated)
    runtime.consume(DeclarationCancelledV1, declarations.on_cancelled)
    runtime.every(0.1, worker.work)

    covers = access.whole_activity_check(runtime.request)

    def on(verb: str, handler: Any, who: Any = forwarded_caller) -> None:
        answer_contract(runtime.rpc, contract_for("estimation", verb), handler, who)

    async def estimate(request: rpc.EstimateRequestV1, _: Any) -> dict[str, Any]:
        try:
            return await estimates.estimate(cache, request, remembered)
        except EstimationError as exc:
            raise RpcFailure("invalid", exc.message, exc.field) from None
        except estimates.InvalidRequest as exc:
            raise RpcFailure("invalid", exc.message, exc.field) from None

    async def parameters(request: rpc.BaremeRequestV1, _: ForwardedCaller) -> dict[str, Any]:
        # any signed-in caller: barèmes are public national data
        return await baremes.listing(runtime.db, request.family)

    async def set_parameter(request: rpc.SetParameterRequestV1, caller: ForwardedCaller) -> dict[str, Any]:
        # a Caf's local parameter (bonus territoire per new place) is set apart from the national barèmes
        local = local_spec(str(request.family or ""), request.parameter) is not None
        async with runtime.unit_of_work() as uow:
            handler = local_parameters.change if local else bareme_changes.change
            answer, job = await handler(uow, caller, request, runtime.clock.now())
        if job is not None:
            worker.kick()
        return answer

    async def progress(request: rpc.ReestimationRequestV1, _: ForwardedCaller) -> dict[str, Any]:
        found = await reestimation.job_view(runtime.db, request.job_id)
        if found is None:
            raise RpcFailure("not_found", "Aucune ré-estimation sous cet identifiant.")
        return found

    async def payments_of(request: rpc.ActivityExerciceV1, caller: ForwardedCaller) -> dict[str, Any]:
        return await payments.view(runtime.db, caller, request, covers)

    async def entitlement(request: rpc.EntitlementRequestV1, caller: ForwardedCaller) -> dict[str, Any]:
        return await entitlements.entitlement(runtime.db, caller, request.declaration_id, covers)

    async def prior_payments(request: rpc.PriorPaymentsRequestV1, caller: ForwardedCaller) -> dict[str, Any]:
        async with runtime.unit_of_work() as uow:
            return await prior_records.record_prior(uow, caller, request, runtime.clock.now())

    async def prior_actual(request: rpc.PriorActualRequestV1, caller: ForwardedCaller) -> dict[str, Any]:
        async with runtime.unit_of_work() as uow:
            return await prior_records.record_prior_actual(uow, caller, request, runtime.clock.now())

    async def payment_policy(request: rpc.CafRequestV1, _: Any) -> dict[str, Any]:
        """Public rules, no personal data: no caller needed."""
        caf = str(request.caf or "")
        if not (len(caf) == 3 and caf.isdigit()):
            raise RpcFailure("invalid", "Indiquez le code de la Caf sur trois chiffres.", "caf")
        return await payment_policies.policy_of_caf(runtime.db, caf)

    async def set_payment_policy(request: rpc.SetPaymentPolicyRequestV1, caller: ForwardedCaller) -> dict[str, Any]:
        async with runtime.unit_of_work() as uow:
            return await payment_policies.set_policy(uow, caller, request, runtime.clock.now())

    async def territories_of(request: rpc.CafRequestV1, caller: ForwardedCaller) -> dict[str, Any]:
        async with runtime.db.sessions() as session:
            return await territories.listing(session, caller, request.caf)

    async def set_territory(request: rpc.SetTerritoryRequestV1, caller: ForwardedCaller) -> dict[str, Any]:
        async with runtime.unit_of_work() as uow:
            answer, job = await territories.define(uow, caller, request, runtime.clock.now())
        if job is not None:
            worker.kick()
        return answer

    async def assign_territory(request: rpc.AssignTerritoryRequestV1, caller: ForwardedCaller) -> dict[str, Any]:
        async with runtime.unit_of_work() as uow:
            answer, job = await territories.assign(uow, caller, request, runtime.clock.now())
        if job is not None:
            worker.kick()
        return answer

    on("estimate", estimate, the_payload)  # no caller: the declaration service asks on every save
    on("parameters", parameters)
    on("set_parameter", set_parameter)
    on("reestimation", progress)
    on("payments", payments_of)
    on("record_prior_payments", prior_payments)
    on("record_prior_actual", prior_actual)
    on("entitlement", entitlement)
    on("payment_policy", payment_policy, the_payload)
    on("set_payment_policy", set_payment_policy)
    on("territories", territories_of)
    on("set_territory", set_territory)
    on("assign_territory", assign_territory)
