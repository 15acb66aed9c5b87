"""Campaign calendars ("Calendrier de vos déclarations"), personal ICS feeds, and each Caf's reminder offsets.

A feed URL carries a random secret token: whoever holds the URL reads the feed (calendar applications cannot log
in), so only its SHA-256 is stored, a user has one at a time, and creating a new one or revoking kills the old.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa

from afas_notification.adapters.tables import (
    ActivityName,
    CafReminderSetting,
    CampaignCopy,
    DeclarationCopy,
    GrantCopy,
    IcsToken,
)
from afas_notification.application import schedule
from afas_notification.domain import ics, reminders, templates
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.contracts.rpc.notification import DAYS_AFTER_MESSAGE, DAYS_BEFORE_MESSAGE
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.read_models.grant_terms import in_force
from afas_shared.runtime import ServiceRuntime

DECLARATION_TYPES = {
    "previsionnelle": "Prévisionnelle",
    "actualisee_juin": "Actualisée janvier à juin",
    "actualisee_septembre": "Actualisée janvier à septembre",
    "reelle": "Réelle",
}
# The outcomes declaration's events announce, by their label
STATES = {s.value: s.label for s in (DeclarationState.transmise, DeclarationState.validee, DeclarationState.refusee)}


def campaign_view(c: CampaignCopy) -> dict[str, Any]:
    return {
        "campagne_id": str(c.campaign_id),
        "caf": c.caf_code,
        "type_activite": c.family,
        "type_activite_libelle": templates.FAMILIES.get(c.family, c.family),
        "exercice": c.exercice,
        "type_declaration": c.declaration_type,
        "type_declaration_libelle": DECLARATION_TYPES.get(c.declaration_type, c.declaration_type),
        "date_ouverture": c.opening_date.isoformat(),
        "date_limite": c.deadline.isoformat(),
    }


async def calendar(
    runtime: ServiceRuntime, caller: ForwardedCaller, exercice: int | None = None, caf: str | None = None
) -> dict[str, Any]:
    """The campaigns of the caller's Caf (agent), of its partner's Cafs (partner) or of all Cafs (operator),
    and, for a partner user, the deadlines of the declarations it takes part in."""
    query = sa.select(CampaignCopy).order_by(CampaignCopy.opening_date, CampaignCopy.family)
    async with runtime.db.sessions() as session:
        if caller.kind == "caf":
            query = query.where(CampaignCopy.caf_code == caller.caf_code)
        elif caller.kind == "partner":
            cafs = sa.select(ActivityName.caf_code).where(ActivityName.partner_id == caller.partner_id)
            query = query.where(CampaignCopy.caf_code.in_(cafs))
        elif caf is not None:
            query = query.where(CampaignCopy.caf_code == caf)
        if exercice is not None:
            query = query.where(CampaignCopy.exercice == exercice)
        campaigns = [campaign_view(c) for c in (await session.execute(query)).scalars()]
        mine = []
        if caller.kind == "partner" and caller.user_id is not None:
            today = paris_today(runtime.clock.now())
            mine = [
                _deadline_view(d, a)
                for d, a in await _declarations_of(session, caller.user_id, today)
                if exercice is None or d.exercice == exercice
            ]
    return {"campagnes": campaigns, "mes_echeances": mine}


def _deadline_view(d: DeclarationCopy, activity: ActivityName | None) -> dict[str, Any]:
    return {
        "declaration_id": str(d.declaration_id),
        "activite": activity.name if activity else None,
        "exercice": d.exercice,
        "type_declaration": d.declaration_type,
        "date_limite": d.deadline.isoformat() if d.deadline else None,
        "etat": STATES.get(d.outcome or "", "À transmettre"),
    }


async def _declarations_of(session, user_id: uuid.UUID, today: date) -> list[tuple[DeclarationCopy, Any]]:
    """Declarations whose activity the user holds a role on today (any role), with their activity."""
    lines = (await session.execute(sa.select(GrantCopy).where(GrantCopy.user_id == user_id))).scalars()
    # An approbateur awaiting its Caf's decision sees the dates too; a rejected one does not
    activities = {g.activity_id for g in lines if in_force(g, today) and g.validation != "rejected"}
    query = (
        sa.select(DeclarationCopy, ActivityName)
        .outerjoin(ActivityName, ActivityName.activity_id == DeclarationCopy.activity_id)
        .where(
            DeclarationCopy.activity_id.in_(activities),
            DeclarationCopy.expected,
            sa.not_(DeclarationCopy.cancelled),
        )
        .order_by(DeclarationCopy.deadline, DeclarationCopy.declaration_id)
    )
    return [(d, a) for d, a in (await session.execute(query)).all()]


# --- ICS feeds -----------------------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(runtime: ServiceRuntime, token: str) -> str:
    return f"{runtime.settings.public_base_url}/api/v1/calendrier/{token}.ics"


async def create_feed(runtime: ServiceRuntime, caller: ForwardedCaller) -> dict[str, Any]:
    """A new secret feed URL for the caller; any previous one stops working."""
    if caller.kind != "partner" or caller.user_id is None:
        raise RpcFailure("forbidden", "Le calendrier personnel est réservé aux déclarants.")
    token = secrets.token_urlsafe(32)
    async with runtime.db.transaction() as session:
        await session.execute(sa.delete(IcsToken).where(IcsToken.user_id == caller.user_id))
        session.add(IcsToken(user_id=caller.user_id, token_hash=_hash(token), created_at=runtime.clock.now()))
    return {"url": feed_url(runtime, token), "jeton": token}


async def revoke_feed(runtime: ServiceRuntime, caller: ForwardedCaller) -> dict[str, Any]:
    if caller.user_id is None:
        raise RpcFailure("forbidden", "Le calendrier personnel est réservé aux déclarants.")
    async with runtime.db.transaction() as session:
        result = await session.execute(sa.delete(IcsToken).where(IcsToken.user_id == caller.user_id))
    return {"revoque": result.rowcount > 0}


async def feed(runtime: ServiceRuntime, token: str) -> str:
    """The ICS text of the feed whose secret token this is (the token is the credential)."""
    if not token or len(token) > 100:
        raise RpcFailure("not_found", "Calendrier introuvable.")
    now = runtime.clock.now()
    async with runtime.db.sessions() as session:
        owner = (await session.execute(sa.select(IcsToken).where(IcsToken.token_hash == _hash(token)))).scalar()
        if owner is None:
            raise RpcFailure("not_found", "Calendrier introuvable.")
        rows = await _declarations_of(session, owner.user_id, paris_today(now))
    deadlines = []
    for d, activity in rows:
        if d.deadline is None:
            continue
        facts = templates.DeclarationFacts(
            d.declaration_type or "", d.exercice or 0, activity.name if activity else None, d.deadline
        )
        where = f" — {activity.name}" if activity else ""
        state = f" ({STATES[d.outcome]})" if d.outcome in STATES else ""
        deadlines.append(
            ics.Deadline(
                uid=f"{d.declaration_id}@afas",
                day=d.deadline,
                summary=f"Date limite : {facts.title()}{where}{state}",
                description=f"{facts.title().capitalize()}{facts.of_activity()} : à transmettre à votre Caf avant le "
                f"{templates.french_date(d.deadline)}.",
                url=schedule.declaration_link(runtime.settings, d.declaration_id),
            )
        )
    return ics.calendar("AFAS — dates limites de mes déclarations", deadlines, now)


# --- each Caf's reminder offsets -----------------------------------------------------------------------------------


def _caf_of(caller: ForwardedCaller, caf: str | None, *roles: str) -> str:
    if caller.kind == "operator":
        if not caf:
            raise RpcFailure("invalid", "Indiquez la Caf.", "caf")
        return caf
    if caller.kind == "caf" and caller.caf_code and caller.is_caf_agent_of(caller.caf_code, *roles):
        return caller.caf_code
    raise RpcFailure("forbidden", "Le paramétrage des rappels est réservé aux agents de la Caf.")


async def reminder_settings(runtime: ServiceRuntime, caller: ForwardedCaller, caf: str | None) -> dict[str, Any]:
    caf_code = _caf_of(caller, caf)
    async with runtime.db.sessions() as session:
        offsets, overdue = await schedule.caf_offsets(session, runtime.settings, caf_code)
        own = await session.get(CafReminderSetting, caf_code)
    return {"caf": caf_code, "jours_avant": list(offsets), "jours_apres": overdue, "par_defaut": own is None}


async def set_reminder_settings(
    runtime: ServiceRuntime, caller: ForwardedCaller, caf: str | None, before: list[int], after: int | None
) -> dict[str, Any]:
    caf_code = _caf_of(caller, caf, "parametrage")
    try:
        offsets = reminders.parse_offsets(",".join(str(d) for d in before))
    except ValueError:
        raise RpcFailure("invalid", DAYS_BEFORE_MESSAGE, "jours_avant") from None
    if after is None or not 1 <= after <= 60:
        raise RpcFailure("invalid", DAYS_AFTER_MESSAGE, "jours_apres")
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        row = await session.get(CafReminderSetting, caf_code)
        if row is None:
            row = CafReminderSetting(caf_code=caf_code, offsets="", overdue_days=after, updated_at=now)
            session.add(row)
        row.offsets, row.overdue_days, row.updated_at = ",".join(map(str, offsets)), after, now
        await session.flush()
        await schedule.replan_caf(session, runtime.settings, caf_code, now)
    return await reminder_settings(runtime, caller, caf_code)
