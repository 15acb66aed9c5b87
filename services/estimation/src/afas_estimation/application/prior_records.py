"""What happened before the platform, recorded once by a Caf agent of the activity's Caf, with who and when.

``record_prior``: the payments of an exercice whose actual is validated here; ``record_prior_actual``: the actual
entitlement of an exercice validated before (the actual N-2 the Caf du Nord's first advance rests on, the actual
N-1 its cap compares with). Each redraws the activity's schedule and announces what it now makes due.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from afas_estimation.adapters.tables import DeclarationFigures, PaymentFact, PriorActualRecord, PriorPayment
from afas_estimation.application.payments import any_declaration, publish_due, validated_facts
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.rpc.estimation import PriorActualRequestV1, PriorPaymentsRequestV1
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


def _amount(
    raw: Any,
    key: str,
    *,
    required: bool,
    missing: str = "Indiquez le total des acomptes versés avant la plateforme.",
) -> Decimal:
    """An amount of the request, refused naming its field ``key`` (the API's name)."""
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


def _exercice(raw: Any) -> int:
    try:
        exercice = int(str(raw).strip())
    except ValueError:
        raise RpcFailure("invalid", "Exercice invalide (année attendue, par exemple 2025).", "exercice") from None
    if not 2000 <= exercice <= 2100:
        raise RpcFailure("invalid", f"Exercice hors des périodes connues : {exercice}.", "exercice")
    return exercice


async def _caf_scope(
    session: AsyncSession, caller: ForwardedCaller, activity_id: uuid.UUID, what: str
) -> tuple[list[PaymentFact], PaymentFact | DeclarationFigures]:
    """The activity's validated facts and a row naming its Caf, for a record only an agent (instruction or
    paramétrage) of the activity's own Caf may make (``what``: what is recorded, in French)."""
    rows = await validated_facts(session, activity_id)
    owner = rows[-1] if rows else await any_declaration(session, activity_id)
    if owner is None:
        raise RpcFailure("not_found", "Activité inconnue : aucune déclaration reçue pour cette activité.")
    if not caller.is_caf_agent_of(owner.caf_code, "instruction", "parametrage"):
        raise RpcFailure(
            "forbidden",
            f"Seuls les agents d'instruction ou de paramétrage de la Caf de l'activité enregistrent {what}.",
        )
    return rows, owner


async def record_prior(
    uow: UnitOfWork, caller: ForwardedCaller, request: PriorPaymentsRequestV1, now: datetime
) -> dict[str, Any]:
    """A Caf agent (instruction or paramétrage) of the activity's Caf records what was paid before the platform;
    the balance that waited for it becomes due and is announced."""
    exercice = _exercice(request.exercice)
    advances = _amount(request.advances, "acomptes", required=True)
    balance = _amount(request.balance, "solde", required=False)
    session, activity_id = uow.session, request.activity_id
    rows, owner = await _caf_scope(session, caller, activity_id, "ses versements antérieurs")
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


async def record_prior_actual(
    uow: UnitOfWork, caller: ForwardedCaller, request: PriorActualRequestV1, now: datetime
) -> dict[str, Any]:
    """A Caf agent (instruction or paramétrage) of the activity's Caf records the actual entitlement of an exercice
    validated before the platform (and its forecast, when known), once: the Caf du Nord's first advance of N + 2
    rests on it, the cap of N + 1 compares with it; the advances of N + 1 that waited for it fall due."""
    exercice = _exercice(request.exercice)
    entitlement = _amount(
        request.entitlement, "droit_reel", required=True, missing="Indiquez le droit réel validé avant la plateforme."
    )
    forecast = _amount(request.forecast, "droit_previsionnel", required=False) if _given(request.forecast) else None
    session, activity_id = uow.session, request.activity_id
    rows, owner = await _caf_scope(session, caller, activity_id, "ses droits réels antérieurs")
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


def _given(raw: Any) -> bool:
    return raw is not None and not (isinstance(raw, str) and not raw.strip())
