"""What estimation consumes and answers on the bus (its status responder comes with the runtime).

Verbs (``estimation.rpc.<verb>.v1``, each answering ``{"result": …}``; the gateway forwards the caller as ``actor``):

* ``estimate`` {family, nature, declaration_type, exercice, caf_code, figures} → the explained estimate
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
from afas_estimation.application.baremes import BaremeCache
from afas_estimation.domain.errors import EstimationError
from afas_estimation.domain.parameters.local import local_spec
from afas_shared.auth.caller import forwarded_caller
from afas_shared.contracts.events.declaration import (
    DeclarationCancelledV1,
    DeclarationFiguresUpdatedV1,
    DeclarationValidatedV1,
)
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.rpc_payload import answer_with_result, parse_uuid
from afas_shared.runtime import ServiceRuntime


def register(runtime: ServiceRuntime) -> None:
    cache = BaremeCache(runtime.db)
    worker = reestimation.Reestimator(
        runtime.db, lambda: runtime.clock, runtime.relay.wake, runtime.settings.reestimation_batch_size
    )
    runtime.state["baremes"], runtime.state["reestimator"] = cache, worker

    runtime.consume(DeclarationFiguresUpdatedV1, declarations.on_figures_updated)
    runtime.consume(DeclarationValidatedV1, entitlements.on_validated)
    runtime.consume(DeclarationCancelledV1, declarations.on_cancelled)
    runtime.every(0.1, worker.work)

    covers = access.whole_activity_check(runtime.request)

    async def estimate(payload: dict[str, Any]) -> dict[str, Any]:
        """estimation.rpc.estimate.v1: {family, nature, declaration_type, exercice, caf_code, figures} -> estimate."""
        try:
            return await estimates.estimate(cache, payload or {})
        except EstimationError as exc:
            raise RpcFailure("invalid", exc.message, exc.field) from None
        except estimates.InvalidRequest as exc:
            raise RpcFailure("invalid", exc.message, exc.field) from None

    async def parameters(payload: dict[str, Any]) -> dict[str, Any]:
        forwarded_caller(payload)  # any signed-in caller: barèmes are public national data
        return await baremes.listing(runtime.db, payload.get("family"))

    async def set_parameter(payload: dict[str, Any]) -> dict[str, Any]:
        caller = forwarded_caller(payload)
        # a Caf's local parameter (bonus territoire per new place) is set apart from the national barèmes
        local = local_spec(str(payload.get("family") or ""), payload.get("parameter")) is not None
        async with runtime.unit_of_work() as uow:
            handler = local_parameters.change if local else bareme_changes.change
            answer, job = await handler(uow, caller, payload, runtime.clock.now())
        if job is not None:
            worker.kick()
        return answer

    async def progress(payload: dict[str, Any]) -> dict[str, Any]:
        forwarded_caller(payload)
        found = await reestimation.job_view(runtime.db, parse_uuid(payload, "job_id"))
        if found is None:
            raise RpcFailure("not_found", "Aucune ré-estimation sous cet identifiant.")
        return found

    async def payments_of(payload: dict[str, Any]) -> dict[str, Any]:
        return await payments.view(runtime.db, payload, covers)

    async def entitlement(payload: dict[str, Any]) -> dict[str, Any]:
        return await entitlements.entitlement(runtime.db, payload, covers)

    answer_with_result(runtime.rpc, "estimate", estimate)
    answer_with_result(runtime.rpc, "parameters", parameters)
    answer_with_result(runtime.rpc, "set_parameter", set_parameter)
    answer_with_result(runtime.rpc, "reestimation", progress)
    answer_with_result(runtime.rpc, "payments", payments_of)

    async def prior_payments(payload: dict[str, Any]) -> dict[str, Any]:
        """{actor, activity_id, exercice, advances, balance?}: what the Caf paid before the platform."""
        async with runtime.unit_of_work() as uow:
            return await prior_records.record_prior(uow, payload, runtime.clock.now())

    answer_with_result(runtime.rpc, "record_prior_payments", prior_payments)

    async def prior_actual(payload: dict[str, Any]) -> dict[str, Any]:
        """{actor, activity_id, exercice, entitlement, forecast?}: an actual validated before the platform."""
        async with runtime.unit_of_work() as uow:
            return await prior_records.record_prior_actual(uow, payload, runtime.clock.now())

    answer_with_result(runtime.rpc, "record_prior_actual", prior_actual)
    answer_with_result(runtime.rpc, "entitlement", entitlement)

    async def payment_policy(payload: dict[str, Any]) -> dict[str, Any]:
        """estimation.rpc.payment_policy.v1: {caf} -> the Caf's payment policy (public rules, no personal data)."""
        caf = str(payload.get("caf") or "")
        if not (len(caf) == 3 and caf.isdigit()):
            raise RpcFailure("invalid", "Indiquez le code de la Caf sur trois chiffres.", "caf")
        return await payment_policies.policy_of_caf(runtime.db, caf)

    answer_with_result(runtime.rpc, "payment_policy", payment_policy)

    async def set_payment_policy(payload: dict[str, Any]) -> dict[str, Any]:
        """{actor, caf, policy, reason?}: a local rule, set by that Caf's paramétrage agents only."""
        async with runtime.unit_of_work() as uow:
            return await payment_policies.set_policy(uow, payload, runtime.clock.now())

    answer_with_result(runtime.rpc, "set_payment_policy", set_payment_policy)

    async def territories_of(payload: dict[str, Any]) -> dict[str, Any]:
        """{actor, caf}: the Caf's territories for the PSU bonus territoire, their amounts and activities."""
        async with runtime.db.sessions() as session:
            return await territories.listing(session, payload)

    async def set_territory(payload: dict[str, Any]) -> dict[str, Any]:
        """{actor, caf, code, name, applies_from, value, provenance, reason?}: a territory and its amount."""
        async with runtime.unit_of_work() as uow:
            answer, job = await territories.define(uow, payload, runtime.clock.now())
        if job is not None:
            worker.kick()
        return answer

    async def assign_territory(payload: dict[str, Any]) -> dict[str, Any]:
        """{actor, activity_id, territory, reason?}: an EAJE-PSU activity of the Caf assigned to a territory."""
        async with runtime.unit_of_work() as uow:
            answer, job = await territories.assign(uow, payload, runtime.clock.now())
        if job is not None:
            worker.kick()
        return answer

    answer_with_result(runtime.rpc, "territories", territories_of)
    answer_with_result(runtime.rpc, "set_territory", set_territory)
    answer_with_result(runtime.rpc, "assign_territory", assign_territory)
