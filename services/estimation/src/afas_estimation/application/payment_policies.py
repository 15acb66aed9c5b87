"""A Caf's payment policy: the one it applies, in French, and its paramétrage agents' choice of another."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from afas_estimation.adapters.tables import CafPaymentPolicy, CafPaymentPolicyChange, PaymentFact
from afas_estimation.application.payments import policy_of, publish_due
from afas_estimation.domain.payments import (
    AdvanceRule,
    PaymentPolicy,
    PolicyError,
    available_policies,
    load_policy,
    normalise_caf,
    policy_for_caf,
)
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.rpc.estimation import SetPaymentPolicyRequestV1
from afas_shared.db.engine import Database
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork

TRIGGER_LABELS = {
    "forecast_validated": "à la validation de la déclaration prévisionnelle",
    "previous_actual_validated": "à la validation de la déclaration réelle de l'exercice précédent",
    "update_validated": "à la validation de la déclaration actualisée (30 septembre)",
}
BASE_LABELS = {"forecast": "du droit prévisionnel N", "actual_n_minus_2": "du droit réel N-2"}


async def policy_of_caf(db: Database, caf_code: str) -> dict[str, Any]:
    """The Caf's policy, and the policies it may choose instead (their labels, for the paramétrage page)."""
    async with db.sessions() as session:
        view = policy_view(caf_code, await policy_of(session, caf_code))
    view["politiques_possibles"] = [{"id": p, "libelle": load_policy(p).label} for p in available_policies()]
    return view


async def set_policy(
    uow: UnitOfWork, caller: ForwardedCaller, request: SetPaymentPolicyRequestV1, now: datetime
) -> dict[str, Any]:
    """A local rule: a Caf's paramétrage agent chooses its Caf's payment policy (never another Caf's, and the
    national paramétrage does not set a Caf's local rules). The schedules of that Caf's activities only are
    redrawn, and the payments they now make due are announced."""
    try:
        caf = normalise_caf(request.caf)
    except PolicyError:
        raise RpcFailure("invalid", "Indiquez le code de la Caf sur trois chiffres.", "caf") from None
    if not caller.is_caf_agent_of(caf, "parametrage"):
        raise RpcFailure(
            "forbidden",
            "Seuls les agents de paramétrage de cette Caf choisissent sa politique de versement ; une Caf ne "
            "modifie jamais les règles d'une autre Caf.",
        )
    choice = request.policy
    known = available_policies()
    if choice not in known:
        raise RpcFailure(
            "invalid", "Politique de versement inconnue. Politiques possibles : " + ", ".join(known) + ".", "politique"
        )
    reason = request.reason
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise RpcFailure("invalid", "Le motif est un texte de 500 caractères au plus.", "motif")
    session = uow.session
    row = await session.get(CafPaymentPolicy, caf, with_for_update=True)
    old = row.policy_id if row is not None else policy_for_caf(caf).id
    if old == choice:
        return {"modifie": False, "activites_recalculees": 0, **policy_view(caf, load_policy(choice))}
    if row is None:
        row = CafPaymentPolicy(caf_code=caf, policy_id=choice, version=0, changed_at=now)
    row.policy_id, row.version, row.changed_by, row.changed_at = choice, row.version + 1, caller.user_id, now
    session.add(row)
    session.add(
        CafPaymentPolicyChange(
            id=uuid.uuid4(),
            caf_code=caf,
            old_policy_id=old,
            new_policy_id=choice,
            reason=reason.strip() if isinstance(reason, str) and reason.strip() else None,
            version=row.version,
            changed_by=caller.user_id,
            changed_at=now,
        )
    )
    await session.flush()
    activities = (
        await session.execute(sa.select(PaymentFact.activity_id).where(PaymentFact.caf_code == caf).distinct())
    ).scalars()
    redrawn = 0
    for activity_id in list(activities):
        await publish_due(uow, activity_id, now)
        redrawn += 1
    return {
        "modifie": True,
        "activites_recalculees": redrawn,
        "version": row.version,
        **policy_view(caf, load_policy(choice)),
    }


def policy_view(caf_code: str, policy: PaymentPolicy | None = None) -> dict[str, Any]:
    """The payment policy a Caf applies, in French: advances, top-ups, the cap on unjustified gaps."""
    policy = policy or policy_for_caf(caf_code)
    cap = policy.cap
    return {
        "caf": caf_code,
        "id": policy.id,
        "libelle": policy.label,
        "source": policy.source,
        "acomptes": _rules_json(policy.advances),
        "acomptes_equipement_nouveau": _rules_json(policy.new_equipment),
        "complements": policy.top_ups,
        "plafond": None
        if cap is None
        else {
            "pourcentage": format(cap.percent, "f"),
            "seuil_ecart": format(cap.gap_threshold_percent, "f"),
            "concerne": list(cap.applies_to),
        },
    }


def _rules_json(rules: tuple[AdvanceRule, ...]) -> list[dict[str, Any]]:
    """A policy's advance rules, in French (existing and new equipment's alike)."""
    return [
        {
            "type": rule.kind,
            "libelle": rule.label,
            "pourcentage": format(rule.percent, "f"),
            "declencheur": TRIGGER_LABELS.get(rule.trigger, rule.trigger),
            "assiette": BASE_LABELS[rule.base],
        }
        for rule in rules
    ]
