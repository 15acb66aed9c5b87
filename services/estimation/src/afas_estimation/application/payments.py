"""Payments of an activity: the schedule of its validated facts under its Caf's policy, announced once per key.

``publish_due`` recomputes the whole schedule of the activity (a pure function of its facts) and publishes
``estimation.payment_scheduled.v1`` for each due payment whose key was never published; the key's row and the
event commit together, so a redelivery or a concurrent replica cannot announce a payment twice.
``view`` answers "what has been / will be paid for this activity and exercice".
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_estimation.adapters.tables import DeclarationFigures, PaymentFact, PublishedPayment
from afas_estimation.application.access import may_see
from afas_estimation.domain.payments import (
    ActualValidated,
    Fact,
    ForecastValidated,
    Payment,
    PaymentFactError,
    PaymentSchedule,
    UpdateValidated,
    euros,
    policy_for_caf,
    schedule,
)
from afas_shared.auth.caller import forwarded_caller
from afas_shared.clock import paris_today
from afas_shared.contracts.events.estimation import PaymentScheduledV1
from afas_shared.db.engine import Database
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.rpc_payload import parse_uuid
from afas_shared.messaging.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

STATUS_LABELS = {"due": "Versé", "pending": "À venir"}


def _fact(row: PaymentFact) -> Fact:
    at = paris_today(row.validated_at)
    amount = Decimal(row.entitlement)
    if row.kind == "forecast":
        return ForecastValidated(row.exercice, amount, at)
    if row.kind == "update":
        return UpdateValidated(row.exercice, amount, at)
    return ActualValidated(row.exercice, amount, at, row.forecast_gap_justified)


async def _facts(session: AsyncSession, activity_id: uuid.UUID) -> list[PaymentFact]:
    rows = await session.execute(
        sa.select(PaymentFact)
        .where(PaymentFact.activity_id == activity_id)
        .order_by(PaymentFact.validated_at, PaymentFact.declaration_id)
    )
    return list(rows.scalars())


def _schedule(rows: list[PaymentFact]) -> tuple[PaymentSchedule | None, str | None]:
    """The schedule of these facts under the Caf's policy, or why it cannot be drawn (French)."""
    policy = policy_for_caf(rows[-1].caf_code)
    try:
        return schedule(policy, [_fact(r) for r in rows]), None
    except PaymentFactError as exc:
        return None, f"Échéancier incalculable à partir des déclarations validées : {exc}"


async def publish_due(uow: UnitOfWork, activity_id: uuid.UUID, now: datetime) -> int:
    """Announce every due payment of the activity not announced yet; how many were."""
    rows = await _facts(uow.session, activity_id)
    if not rows:
        return 0
    drawn, problem = _schedule(rows)
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


async def view(db: Database, payload: dict[str, Any]) -> dict[str, Any]:
    caller = forwarded_caller(payload)
    activity_id = parse_uuid(payload, "activity_id")
    try:
        exercice = int(str(payload.get("exercice")).strip())
    except ValueError:
        raise RpcFailure("invalid", "Exercice invalide (année attendue, par exemple 2026).", "exercice") from None
    if not 2000 <= exercice <= 2100:
        raise RpcFailure("invalid", f"Exercice hors des périodes connues : {exercice}.", "exercice")
    async with db.sessions() as session:
        rows = await _facts(session, activity_id)
        owner = rows[-1] if rows else await _any_declaration(session, activity_id)
        announced = set(
            (
                await session.execute(
                    sa.select(PublishedPayment.payment_key).where(PublishedPayment.activity_id == activity_id)
                )
            ).scalars()
        )
    if owner is not None and not may_see(caller, owner.caf_code, owner.partner_id):
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
        "message": None,
    }
    if not rows:
        answer["message"] = "Aucune déclaration validée pour cette activité : aucun paiement n'est encore prévu."
        return answer
    policy = policy_for_caf(rows[-1].caf_code)
    answer["politique"] = {"id": policy.id, "libelle": policy.label}
    drawn, problem = _schedule(rows)
    if drawn is None:
        answer["message"] = problem
        return answer
    answer["paiements"] = [payment_json(p, announced) for p in drawn.for_exercice(exercice)]
    summary = drawn.summaries.get(exercice)
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
        }
    )
    return answer


async def _any_declaration(session: AsyncSession, activity_id: uuid.UUID) -> DeclarationFigures | None:
    found = await session.execute(
        sa.select(DeclarationFigures).where(DeclarationFigures.activity_id == activity_id).limit(1)
    )
    return found.scalar_one_or_none()


TRIGGER_LABELS = {
    "forecast_validated": "à la validation de la déclaration prévisionnelle",
    "previous_actual_validated": "à la validation de la déclaration réelle de l'exercice précédent",
}


def policy_view(caf_code: str) -> dict[str, Any]:
    """The payment policy a Caf applies, in French: advances, top-ups, the cap on unjustified gaps."""
    policy = policy_for_caf(caf_code)
    cap = policy.cap
    return {
        "caf": caf_code,
        "id": policy.id,
        "libelle": policy.label,
        "source": policy.source,
        "acomptes": [
            {
                "type": rule.kind,
                "libelle": rule.label,
                "pourcentage": format(rule.percent, "f"),
                "declencheur": TRIGGER_LABELS.get(rule.trigger, rule.trigger),
            }
            for rule in policy.advances
        ],
        "complements": policy.top_ups,
        "plafond": None
        if cap is None
        else {
            "pourcentage": format(cap.percent, "f"),
            "seuil_ecart": format(cap.gap_threshold_percent, "f"),
            "concerne": list(cap.applies_to),
        },
    }
