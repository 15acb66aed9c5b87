"""Payments of an activity: the schedule of its validated facts under its Caf's policy, announced once per key.

``publish_due`` recomputes the whole schedule of the activity (a pure function of its facts) and publishes
``estimation.payment_scheduled.v1`` for each due payment whose key was never published; the key's row and the
event commit together, so a redelivery or a concurrent replica cannot announce a payment twice.
``view`` answers "what has been / will be paid for this activity and exercice".
``record_prior`` and ``record_prior_actual``: a Caf agent of the activity's Caf records what happened before the
platform — the payments of an exercice whose actual is validated here, or the actual entitlement of an exercice
validated before (the actual N-2 the Caf du Nord's first advance rests on, the actual N-1 its cap compares with).
Each is recorded once, with who and when.
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
    CafPaymentPolicyChange,
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
    PolicyError,
    PriorActual,
    PriorPayments,
    UpdateValidated,
    available_policies,
    euros,
    load_policy,
    normalise_caf,
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
        return ForecastValidated(row.exercice, amount, at, row.forecast_gap_justified)
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
    rows = await _facts(uow.session, activity_id)
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


async def view(db: Database, payload: dict[str, Any], covers: WholeActivityCheck) -> dict[str, Any]:
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
        prior = await _prior(session, activity_id)
        actuals = await _prior_actuals(session, activity_id)
        owner = rows[-1] if rows else await _any_declaration(session, activity_id)
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


def _amount(
    payload: dict[str, Any],
    key: str,
    *,
    required: bool,
    missing: str = "Indiquez le total des acomptes versés avant la plateforme.",
) -> Decimal:
    raw = payload.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise RpcFailure("invalid", missing, key)
        return Decimal(0)
    text = str(raw).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except ArithmeticError:
        raise RpcFailure("invalid", f"« {raw} » n'est pas un montant.", key) from None
    if not amount.is_finite() or amount < 0 or amount >= 1_000_000_000:
        raise RpcFailure("invalid", "Un montant est positif ou nul (moins d'un milliard d'euros).", key)
    if amount != amount.quantize(Decimal("0.01")):
        raise RpcFailure("invalid", "Un montant s'écrit au centime près.", key)
    return amount.quantize(Decimal("0.01"))


def _exercice(payload: dict[str, Any]) -> int:
    try:
        exercice = int(str(payload.get("exercice")).strip())
    except ValueError:
        raise RpcFailure("invalid", "Exercice invalide (année attendue, par exemple 2025).", "exercice") from None
    if not 2000 <= exercice <= 2100:
        raise RpcFailure("invalid", f"Exercice hors des périodes connues : {exercice}.", "exercice")
    return exercice


async def _caf_scope(
    session: AsyncSession, payload: dict[str, Any], what: str
) -> tuple[Any, uuid.UUID, list[PaymentFact], PaymentFact | DeclarationFigures]:
    """The caller, the activity, its validated facts and a row naming its Caf, for a record only an agent
    (instruction or paramétrage) of the activity's own Caf may make (``what``: what is recorded, in French)."""
    caller = forwarded_caller(payload)
    activity_id = parse_uuid(payload, "activity_id")
    rows = await _facts(session, activity_id)
    owner = rows[-1] if rows else await _any_declaration(session, activity_id)
    if owner is None:
        raise RpcFailure("not_found", "Activité inconnue : aucune déclaration reçue pour cette activité.")
    if not caller.is_caf_agent_of(owner.caf_code, "instruction", "parametrage"):
        raise RpcFailure(
            "forbidden",
            f"Seuls les agents d'instruction ou de paramétrage de la Caf de l'activité enregistrent {what}.",
        )
    return caller, activity_id, rows, owner


async def record_prior(uow: UnitOfWork, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A Caf agent (instruction or paramétrage) of the activity's Caf records what was paid before the platform;
    the balance that waited for it becomes due and is announced."""
    exercice = _exercice(payload)
    advances = _amount(payload, "advances", required=True)
    balance = _amount(payload, "balance", required=False)
    session = uow.session
    caller, activity_id, rows, owner = await _caf_scope(session, payload, "ses versements antérieurs")
    if await session.get(PriorActualRecord, (activity_id, exercice)) is not None:
        raise RpcFailure(
            "invalid",
            f"Le droit réel {exercice} a été enregistré comme validé avant la plateforme : ses versements aussi "
            "sont antérieurs, rien à enregistrer pour cet exercice.",
            "exercice",
        )
    if any(r.exercice == exercice and r.kind in ("forecast", "update") for r in rows):
        raise RpcFailure(
            "invalid",
            f"Les acomptes {exercice} ont été versés par la plateforme : rien à enregistrer pour cet exercice.",
            "exercice",
        )
    if await session.get(PriorPayment, (activity_id, exercice)) is not None:
        raise RpcFailure("conflict", f"Les versements antérieurs de {exercice} sont déjà enregistrés.", "exercice")
    session.add(
        PriorPayment(
            activity_id=activity_id,
            exercice=exercice,
            caf_code=owner.caf_code,
            advances=format(advances, "f"),
            balance=format(balance, "f"),
            recorded_by=caller.user_id,
            recorded_at=now,
        )
    )
    await session.flush()
    announced = await publish_due(uow, activity_id, now) if rows else 0
    return {
        "activite_id": str(activity_id),
        "exercice": exercice,
        "acomptes": format(advances, "f"),
        "solde_deja_verse": format(balance, "f"),
        "paiements_annonces": announced,
    }


async def record_prior_actual(uow: UnitOfWork, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A Caf agent (instruction or paramétrage) of the activity's Caf records the actual entitlement of an exercice
    validated before the platform (and its forecast, when known), once: the Caf du Nord's first advance of N + 2
    rests on it, the cap of N + 1 compares with it; the advances of N + 1 that waited for it fall due."""
    exercice = _exercice(payload)
    entitlement = _amount(
        payload, "entitlement", required=True, missing="Indiquez le droit réel validé avant la plateforme."
    )
    forecast = _amount(payload, "forecast", required=False) if _given(payload, "forecast") else None
    session = uow.session
    caller, activity_id, rows, owner = await _caf_scope(session, payload, "ses droits réels antérieurs")
    if any(r.exercice == exercice for r in rows):
        raise RpcFailure(
            "invalid",
            f"L'exercice {exercice} a des déclarations validées sur la plateforme : son droit y est calculé, "
            "rien à enregistrer.",
            "exercice",
        )
    if await session.get(PriorPayment, (activity_id, exercice)) is not None:
        raise RpcFailure(
            "invalid",
            f"Des versements antérieurs sont enregistrés pour {exercice} : son droit réel est validé sur la "
            "plateforme, rien à enregistrer.",
            "exercice",
        )
    if await session.get(PriorActualRecord, (activity_id, exercice)) is not None:
        raise RpcFailure(
            "conflict", f"Le droit réel {exercice} antérieur à la plateforme est déjà enregistré.", "exercice"
        )
    session.add(
        PriorActualRecord(
            activity_id=activity_id,
            exercice=exercice,
            caf_code=owner.caf_code,
            entitlement=format(entitlement, "f"),
            forecast_entitlement=format(forecast, "f") if forecast is not None else None,
            recorded_by=caller.user_id,
            recorded_at=now,
        )
    )
    await session.flush()
    log.info(
        "prior actual recorded",
        extra={
            "audit": {
                "action": "record_prior_actual",
                "activity_id": str(activity_id),
                "exercice": exercice,
                "caf_code": owner.caf_code,
                "entitlement": format(entitlement, "f"),
                "recorded_by": str(caller.user_id) if caller.user_id else None,
            }
        },
    )
    announced = await publish_due(uow, activity_id, now) if rows else 0
    return {
        "activite_id": str(activity_id),
        "exercice": exercice,
        "droit_reel": format(entitlement, "f"),
        "droit_previsionnel": format(forecast, "f") if forecast is not None else None,
        "paiements_annonces": announced,
    }


def _given(payload: dict[str, Any], key: str) -> bool:
    raw = payload.get(key)
    return raw is not None and not (isinstance(raw, str) and not raw.strip())


async def _any_declaration(session: AsyncSession, activity_id: uuid.UUID) -> DeclarationFigures | None:
    found = await session.execute(
        sa.select(DeclarationFigures).where(DeclarationFigures.activity_id == activity_id).limit(1)
    )
    return found.scalar_one_or_none()


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


async def set_policy(uow: UnitOfWork, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A local rule: a Caf's paramétrage agent chooses its Caf's payment policy (never another Caf's, and the
    national paramétrage does not set a Caf's local rules). The schedules of that Caf's activities only are
    redrawn, and the payments they now make due are announced."""
    caller = forwarded_caller(payload)
    try:
        caf = normalise_caf(payload.get("caf"))
    except PolicyError:
        raise RpcFailure("invalid", "Indiquez le code de la Caf sur trois chiffres.", "caf") from None
    if not caller.is_caf_agent_of(caf, "parametrage"):
        raise RpcFailure(
            "forbidden",
            "Seuls les agents de paramétrage de cette Caf choisissent sa politique de versement ; une Caf ne "
            "modifie jamais les règles d'une autre Caf.",
        )
    choice = payload.get("policy")
    known = available_policies()
    if choice not in known:
        raise RpcFailure(
            "invalid", "Politique de versement inconnue. Politiques possibles : " + ", ".join(known) + ".", "policy"
        )
    reason = payload.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise RpcFailure("invalid", "Le motif est un texte de 500 caractères au plus.", "reason")
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
        "acomptes": [
            {
                "type": rule.kind,
                "libelle": rule.label,
                "pourcentage": format(rule.percent, "f"),
                "declencheur": TRIGGER_LABELS.get(rule.trigger, rule.trigger),
                "assiette": BASE_LABELS[rule.base],
            }
            for rule in policy.advances
        ],
        "acomptes_equipement_nouveau": [
            {
                "type": rule.kind,
                "libelle": rule.label,
                "pourcentage": format(rule.percent, "f"),
                "declencheur": TRIGGER_LABELS.get(rule.trigger, rule.trigger),
                "assiette": BASE_LABELS[rule.base],
            }
            for rule in policy.new_equipment
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
