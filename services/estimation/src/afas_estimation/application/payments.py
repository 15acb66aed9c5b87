"""Payments of an activity: the schedule of its validated facts under its Caf's policy, announced once per key.

``publish_due`` recomputes the whole schedule of the activity (a pure function of its facts) and publishes
``estimation.payment_scheduled.v1`` for each due payment whose key was never published; the key's row and the
event commit together, so a redelivery or a concurrent replica cannot announce a payment twice.
``view`` answers "what has been / will be paid for this activity and exercice".
What a Caf agent records from before the platform is in ``prior_records``; the Caf's choice of payment policy
in ``payment_policies``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_estimation.adapters.tables import (
    CafPaymentPolicy,
    DeclarationFigures,
    PaymentFact,
    PriorActualRecord,
    PriorPayment,
    PublishedPayment,
)
from afas_estimation.application.access import WholeActivityCheck, may_see
from afas_estimation.domain.payments import (
    ActualValidated,
    Fact,
    ForecastValidated,
    Payment,
    PaymentFactError,
    PaymentPolicy,
    PaymentSchedule,
    PriorActual,
    PriorPayments,
    UpdateValidated,
    euros,
    load_policy,
    policy_for_caf,
    schedule,
)
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.events.estimation import PaymentScheduledV1
from afas_shared.contracts.rpc.estimation import ActivityExerciceV1
from afas_shared.db.engine import Database
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

STATUS_LABELS = {"due": "Versé", "pending": "À venir"}


def _fact(row: PaymentFact) -> Fact:
    at = paris_today(row.validated_at)
    amount = Decimal(row.entitlement)
    if row.kind == "forecast":
        return ForecastValidated(row.exercice, amount, at, row.forecast_gap_justified)
    if row.kind == "update":
        return UpdateValidated(row.exercice, amount, at)
    return ActualValidated(row.exercice, amount, at, row.forecast_gap_justified)


async def validated_facts(session: AsyncSession, activity_id: uuid.UUID) -> list[PaymentFact]:
    rows = await session.execute(
        sa.select(PaymentFact)
        .where(PaymentFact.activity_id == activity_id)
        .order_by(PaymentFact.validated_at, PaymentFact.declaration_id)
    )
    return list(rows.scalars())


async def _prior(session: AsyncSession, activity_id: uuid.UUID) -> list[PriorPayment]:
    rows = await session.execute(
        sa.select(PriorPayment).where(PriorPayment.activity_id == activity_id).order_by(PriorPayment.exercice)
    )
    return list(rows.scalars())


def _prior_fact(row: PriorPayment) -> PriorPayments:
    return PriorPayments(row.exercice, Decimal(row.advances), paris_today(row.recorded_at), Decimal(row.balance))


async def _prior_actuals(session: AsyncSession, activity_id: uuid.UUID) -> list[PriorActualRecord]:
    rows = await session.execute(
        sa.select(PriorActualRecord)
        .where(PriorActualRecord.activity_id == activity_id)
        .order_by(PriorActualRecord.exercice)
    )
    return list(rows.scalars())


def _prior_actual_fact(row: PriorActualRecord) -> PriorActual:
    forecast = Decimal(row.forecast_entitlement) if row.forecast_entitlement is not None else None
    return PriorActual(row.exercice, Decimal(row.entitlement), paris_today(row.recorded_at), forecast)


async def policy_of(session: AsyncSession, caf_code: str) -> PaymentPolicy:
    """The payment policy of a Caf: the one its paramétrage agents chose, else the shipped mapping's."""
    chosen = await session.get(CafPaymentPolicy, caf_code)
    return load_policy(chosen.policy_id) if chosen is not None else policy_for_caf(caf_code)


def _schedule(
    rows: list[PaymentFact],
    prior: list[PriorPayment] | None = None,
    policy: PaymentPolicy | None = None,
    actuals: list[PriorActualRecord] | None = None,
) -> tuple[PaymentSchedule | None, str | None]:
    """The schedule of these facts under the Caf's policy, or why it cannot be drawn (French).

    The first exercice validated on the platform is the activity's first here: its advances waiting for an
    actual N-1 fall due with its forecast (that actual was validated before the platform). The activity's
    opening date (carried by the validations) makes an exercice N a new equipment's when it opened during N or
    N-1 (see ``domain.payments.schedule``); without it the equipment is taken as existing. A recorded actual
    from before the platform counts until an exercice of its year is validated here (that one supersedes it)."""
    policy = policy or policy_for_caf(rows[-1].caf_code)
    # an actual alone (its forecast validated before the platform) does not make its exercice the first here
    planned = [r.exercice for r in rows if r.kind in ("forecast", "update")]
    first = min(planned) if planned else None
    # new vs existing equipment (Caf du Nord's 35/35): the latest opening date the validations carried
    opened = next((r.activity_opening_date for r in reversed(rows) if r.activity_opening_date is not None), None)
    try:
        on_platform = {r.exercice for r in rows} | {p.exercice for p in prior or []}
        facts = [_fact(r) for r in rows] + [_prior_fact(p) for p in prior or []]
        facts += [_prior_actual_fact(a) for a in actuals or [] if a.exercice not in on_platform]
        return schedule(policy, facts, first_exercice=first, opened_on=opened), None
    except PaymentFactError as exc:
        return None, f"Échéancier incalculable à partir des déclarations validées : {exc}"


async def publish_due(uow: UnitOfWork, activity_id: uuid.UUID, now: datetime) -> int:
    """Announce every due payment of the activity not announced yet; how many were."""
    rows = await validated_facts(uow.session, activity_id)
    if not rows:
        return 0
    policy = await policy_of(uow.session, rows[-1].caf_code)
    prior, actuals = await _prior(uow.session, activity_id), await _prior_actuals(uow.session, activity_id)
    drawn, problem = _schedule(rows, prior, policy, actuals)
    if drawn is None:
        log.warning("activity %s: %s", activity_id, problem)
        return 0
    published = set(
        (
            await uow.session.execute(
                sa.select(PublishedPayment.payment_key).where(PublishedPayment.activity_id == activity_id)
            )
        ).scalars()
    )
    latest = rows[-1]
    count = 0
    for payment in drawn.due:
        if payment.key in published:
            continue
        count += 1
        uow.session.add(
            PublishedPayment(
                activity_id=activity_id,
                payment_key=payment.key,
                exercice=payment.exercice,
                kind=payment.kind,
                amount=format(payment.amount, "f"),
                due_date=payment.due,
                policy_id=drawn.policy_id,
                published_at=now,
            )
        )
        uow.publish(
            PaymentScheduledV1(
                activity_id=activity_id,
                partner_id=latest.partner_id,
                caf_code=latest.caf_code,
                exercice=payment.exercice,
                payment_key=payment.key,
                kind=payment.kind,
                number=payment.number,
                amount=format(payment.amount, "f"),
                due_date=payment.due,
                label=payment.label,
                trigger=payment.trigger,
                explanation=payment.explanation.text,
                policy_id=drawn.policy_id,
            ),
            subject=str(activity_id),
            aggregate_version=len(published) + count,
        )
    return count


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else format(amount, "f")


def payment_json(p: Payment, announced: set[str]) -> dict[str, Any]:
    return {
        "cle": p.key,
        "type": p.kind,
        "numero": p.number,
        "libelle": p.label,
        "montant": format(p.amount, "f"),
        "montant_affiche": euros(p.amount),
        "statut": "verse" if p.is_due else "a_venir",
        "statut_libelle": STATUS_LABELS[p.status],
        "date": p.due.isoformat() if p.due else None,
        "declencheur": p.trigger,
        "explication": p.explanation.text,
        "plafonne": p.explanation.cap_applied,
        "annonce": p.key in announced,
    }


async def view(
    db: Database, caller: ForwardedCaller, request: ActivityExerciceV1, covers: WholeActivityCheck
) -> dict[str, Any]:
    activity_id = request.activity_id
    try:
        exercice = int(str(request.exercice).strip())
    except ValueError:
        raise RpcFailure("invalid", "Exercice invalide (année attendue, par exemple 2026).", "exercice") from None
    if not 2000 <= exercice <= 2100:
        raise RpcFailure("invalid", f"Exercice hors des périodes connues : {exercice}.", "exercice")
    async with db.sessions() as session:
        rows = await validated_facts(session, activity_id)
        prior = await _prior(session, activity_id)
        actuals = await _prior_actuals(session, activity_id)
        owner = rows[-1] if rows else await any_declaration(session, activity_id)
        policy = await policy_of(session, rows[-1].caf_code) if rows else None
        announced = set(
            (
                await session.execute(
                    sa.select(PublishedPayment.payment_key).where(PublishedPayment.activity_id == activity_id)
                )
            ).scalars()
        )
    if owner is not None and not (
        may_see(caller, owner.caf_code, owner.partner_id) and await covers(caller, activity_id)
    ):
        raise RpcFailure("forbidden", "Vous ne pouvez pas consulter les paiements de cette activité.")
    answer: dict[str, Any] = {
        "activite_id": str(activity_id),
        "exercice": exercice,
        "politique": None,
        "paiements": [],
        "deja_verse": "0.00",
        "a_venir": "0.00",
        "droit": None,
        "base_du_droit": None,
        "acomptes_verses": "0.00",
        "solde": None,
        "indu": "0.00",
        "plafonnement": False,
        "ecart_previsionnel_reel": None,
        "reels_anterieurs": [_prior_actual_json(a) for a in actuals],
        "message": None,
    }
    if not rows:
        answer["message"] = "Aucune déclaration validée pour cette activité : aucun paiement n'est encore prévu."
        return answer
    answer["politique"] = {"id": policy.id, "libelle": policy.label}
    drawn, problem = _schedule(rows, prior, policy, actuals)
    if drawn is None:
        answer["message"] = problem
        return answer
    answer["paiements"] = [payment_json(p, announced) for p in drawn.for_exercice(exercice)]
    summary = drawn.summaries.get(exercice)
    recorded = next((a for a in actuals if a.exercice == exercice), None)
    if summary is None and recorded is not None:
        answer.update({"droit": recorded.entitlement, "base_du_droit": "reel"})
        answer["message"] = (
            f"Droit réel {exercice} validé avant la plateforme et enregistré par la Caf "
            f"({euros(Decimal(recorded.entitlement))}) : ses paiements ont eu lieu avant la plateforme."
        )
        return answer
    if summary is None:
        answer["message"] = f"Aucune déclaration validée pour l'exercice {exercice}."
        return answer
    answer.update(
        {
            "deja_verse": _money(summary.paid),
            "a_venir": _money(summary.scheduled),
            "droit": _money(summary.entitlement),
            "base_du_droit": summary.basis,
            "acomptes_verses": _money(summary.advances_paid),
            "solde": _money(summary.balance),
            "indu": _money(summary.overpayment),
            "plafonnement": summary.cap_applied,
            "ecart_previsionnel_reel": _money(summary.forecast_gap),
            "acomptes_anterieurs_non_connus": summary.note is not None,
        }
    )
    if summary.note:
        answer["message"] = summary.note
    return answer


def _prior_actual_json(row: PriorActualRecord) -> dict[str, Any]:
    return {
        "exercice": row.exercice,
        "droit_reel": row.entitlement,
        "droit_previsionnel": row.forecast_entitlement,
        "enregistre_le": row.recorded_at.isoformat(),
    }


async def any_declaration(session: AsyncSession, activity_id: uuid.UUID) -> DeclarationFigures | None:
    found = await session.execute(
        sa.select(DeclarationFigures).where(DeclarationFigures.activity_id == activity_id).limit(1)
    )
    return found.scalar_one_or_none()
