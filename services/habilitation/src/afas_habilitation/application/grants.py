"""Role grants: given by the partner's administrators (delegated) or its Caf, approbateurs validated by
the Caf, ended rather than deleted — and ended by themselves when the user or the activity goes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa

from afas_habilitation.adapters.tables import (
    BARRED,
    AccountState,
    Activity,
    DeclarerMembership,
    KnownPartner,
    RoleGrant,
    Site,
)
from afas_habilitation.domain import grants as rules
from afas_habilitation.domain.catalogue import Family, SiteMode, site_scoped
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.events.habilitation import GrantEndedV1, GrantRejectedV1, GrantValidatedV1, RoleGrantedV1
from afas_shared.contracts.rpc.habilitation import GrantRequestV1, ScopeItemV1
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime

# which refusals are about the input (422, with the field) rather than a rule of the platform (409)
INPUT_PROBLEMS = {
    rules.END_BEFORE_START: "date_fin",
    rules.SITE_NOT_ALLOWED: "perimetre",
    rules.UNKNOWN_SITE: "perimetre",
    rules.OTHER_PARTNER: "perimetre",
}

# The request contracts themselves (their fields named as the API names them)
Scope = ScopeItemV1
GrantInput = GrantRequestV1


def facts(g: RoleGrant) -> rules.GrantFacts:
    return rules.GrantFacts(
        grant_id=str(g.id),
        user_id=str(g.user_id),
        role=rules.Role(g.role),
        activity_id=str(g.activity_id),
        site=str(g.site_id) if g.site_id else None,
        start=g.start_date,
        end=g.end_date,
        validation=rules.Validation(g.validation),
    )


def state(g: RoleGrant, today: date) -> rules.State:
    if g.end_reason and g.end_date is not None and g.end_date <= today:
        return rules.State.historique  # ended by someone: no longer effective, even today
    return rules.state_of(facts(g), today)


def endable(g: RoleGrant, today: date) -> bool:
    """Whether the grant may still be ended (« Mettre fin »): running or to come — an ended, expired or refused one
    is over. The pages offer the action by this, the end is refused by it."""
    return state(g, today) is not rules.State.historique


def may_grant(caller: ForwardedCaller, partner: KnownPartner) -> bool:
    return (
        caller.kind == "operator"
        or caller.is_caf_agent_of(partner.caf_code, "habilitations")
        or (
            caller.kind == "partner"
            and caller.partner_id == partner.partner_id
            and "AFAS-HABILITER" in caller.groups
            and partner.delegated
        )
    )


def view(g: RoleGrant, today: date, activity: Activity | None = None, user: KnownUser | None = None) -> dict:
    role = rules.Role(g.role)
    return {
        "id": str(g.id),
        "habilitation": str(g.group_id),
        "utilisateur_id": str(g.user_id),
        "utilisateur": f"{user.first_name} {user.last_name}" if user else None,
        "role": role.value,
        "role_libelle": role.label,
        "activite_id": str(g.activity_id),
        "activite": activity.name if activity else None,
        "lieu_id": str(g.site_id) if g.site_id else None,
        "date_debut": g.start_date.isoformat(),
        "date_fin": g.end_date.isoformat() if g.end_date else None,
        "validation": rules.Validation(g.validation).label,
        "etat": state(g, today).label,
        "fin_possible": endable(g, today),
    }


async def grant(runtime: ServiceRuntime, caller: ForwardedCaller, data: GrantInput) -> list[dict[str, Any]]:
    """A grant at once, all lines or none (a grant over many activities is a job: ``grant_jobs``).

    The gateway names the request (``job_id``, which becomes the lines' group): the same request sent again, because
    its answer was lost on the way, is answered with the lines it gave, never granted twice nor refused as a
    duplicate. The grantee's row is locked first, so a request sent again while the first is still running waits
    for it and then finds its lines."""
    today = paris_today(runtime.clock.now())
    start = data.start_date or today
    async with runtime.unit_of_work() as uow:
        user, partner = await grantee(uow.session, caller, data, lock=True)
        if data.job_id is not None and (given := await _lines_of_group(uow.session, data.job_id)):
            return _replayed(given, user, today)
        in_declarer = await declarer_on(uow.session, user.user_id, start)
        scopes = await all_open_activities(uow.session, partner, start) if data.all_activities else data.scope
        if not scopes:
            raise RpcFailure("invalid", "Choisissez au moins une activité ou un lieu d'implantation.", "perimetre")
        group_id, created = data.job_id or uuid.uuid4(), []
        existing = [facts(g) for g in await open_grants(uow.session, [s.activity_id for s in scopes], start)]
        for scope in scopes:
            activity = await uow.session.get(Activity, scope.activity_id)
            if activity is None:
                raise RpcFailure("invalid", "Activité inconnue.", "perimetre")
            site = await uow.session.get(Site, scope.site_id) if scope.site_id else None
            values, problems = new_line(
                data, user, partner, activity, scope.site_id, site, group_id, start, existing, in_declarer
            )
            if problems:
                field = INPUT_PROBLEMS.get(problems[0])
                raise RpcFailure("invalid" if field else "conflict", problems[0], field)
            line = store_line(uow, values, existing)
            created.append(view(line, today, activity, user))
    return created


async def _lines_of_group(session, group_id: uuid.UUID) -> list[tuple[RoleGrant, Activity]]:
    rows = await session.execute(
        sa.select(RoleGrant, Activity)
        .join(Activity, Activity.id == RoleGrant.activity_id)
        .where(RoleGrant.group_id == group_id)
        .order_by(RoleGrant.created_at, RoleGrant.id)
    )
    return [(line, activity) for line, activity in rows.all()]


def _replayed(given: list[tuple[RoleGrant, Activity]], user: KnownUser, today: date) -> list[dict[str, Any]]:
    """The lines a request already gave, answered again; a request id reused for another user is refused."""
    if any(line.user_id != user.user_id for line, _ in given):
        raise RpcFailure("conflict", "Cette demande d'habilitation a déjà servi pour un autre utilisateur.")
    return [view(line, today, activity, user) for line, activity in given]


async def grantee(
    session, caller: ForwardedCaller, data: GrantInput, lock: bool = False
) -> tuple[KnownUser, KnownPartner]:
    """The user to grant and their partner, refused when the caller may not grant them or the account is barred;
    ``lock``: the user's row held until the transaction ends (grants to one user one after the other)."""
    user = await session.get(KnownUser, data.user_id, with_for_update=True if lock else None)
    if user is None or user.partner_id is None:
        raise RpcFailure("invalid", "Utilisateur inconnu ou sans partenaire.", "utilisateur_id")
    partner = await session.get(KnownPartner, user.partner_id)
    if partner is None or not may_grant(caller, partner):
        raise RpcFailure("forbidden", "Vous ne pouvez pas habiliter les utilisateurs de ce partenaire.")
    account = await session.get(AccountState, user.user_id)
    if account is not None and account.state in BARRED:
        raise RpcFailure("conflict", "Un compte suspendu ou fermé ne peut pas recevoir de rôle.")
    return user, partner


def new_line(
    data: GrantInput,
    user: KnownUser,
    partner: KnownPartner,
    activity: Activity,
    site_id: uuid.UUID | None,
    site: Site | None,
    group_id: uuid.UUID,
    start: date,
    existing: list[rules.GrantFacts],
    in_declarer: bool,
) -> tuple[dict[str, Any], list[str]]:
    """One line of a grant as values (``store_line`` or a batch's INSERT stores it), and the rules it would break
    (none: it may be stored)."""
    role = rules.Role(data.role)
    line = {
        "id": uuid.uuid4(),
        "group_id": group_id,
        "user_id": user.user_id,
        "partner_id": partner.partner_id,
        "role": role.value,
        "activity_id": activity.id,
        "site_id": site_id,
        "start_date": start,
        "end_date": data.end_date,
        "validation": rules.initial_validation(role).value,
    }
    problems = rules.grant_problems(
        line_facts(line),
        existing,
        user_in_declarer_group=in_declarer,
        activity_partner_matches=activity.partner_id == partner.partner_id,
        site_allowed=site_scoped(Family(activity.family), SiteMode(activity.site_mode)),
        site_known=site_id is None or (site is not None and site.activity_id == activity.id),
        activity_name=activity.name,
    )
    return line, problems


def line_facts(line: dict[str, Any]) -> rules.GrantFacts:
    return rules.GrantFacts(
        grant_id=str(line["id"]),
        user_id=str(line["user_id"]),
        role=rules.Role(line["role"]),
        activity_id=str(line["activity_id"]),
        site=str(line["site_id"]) if line["site_id"] else None,
        start=line["start_date"],
        end=line["end_date"],
        validation=rules.Validation(line["validation"]),
    )


def granted(line: dict[str, Any]) -> tuple[RoleGrantedV1, str, int]:
    """A line's event, for ``publish_all``."""
    fields = ("group_id", "user_id", "partner_id", "role", "activity_id", "site_id", "start_date", "end_date")
    event = RoleGrantedV1(grant_id=line["id"], validation=line["validation"], **{f: line[f] for f in fields})
    return event, str(line["id"]), 1


def store_line(uow: UnitOfWork, line: dict[str, Any], existing: list[rules.GrantFacts]) -> RoleGrant:
    """Store a line and its event (outbox, same transaction); the next lines are checked against it."""
    existing.append(line_facts(line))
    stored = RoleGrant(**line)
    uow.session.add(stored)
    event, subject, version = granted(line)
    uow.publish(event, subject=subject, aggregate_version=version)
    return stored


async def all_open_activities(session, partner: KnownPartner, day: date) -> list[Scope]:
    rows = await session.execute(
        sa.select(Activity.id)
        .where(
            Activity.partner_id == partner.partner_id,
            sa.or_(Activity.closing_date.is_(None), Activity.closing_date >= day),
        )
        .order_by(Activity.name)
    )
    return [Scope(activity_id=activity_id) for activity_id in rows.scalars()]


async def declarer_on(session, user_id: uuid.UUID, day: date) -> bool:
    rows = await session.execute(
        sa.select(DeclarerMembership.id).where(
            DeclarerMembership.user_id == user_id,
            DeclarerMembership.start_date <= day,
            sa.or_(DeclarerMembership.end_date.is_(None), DeclarerMembership.end_date >= day),
        )
    )
    return rows.first() is not None


async def open_grants(session, activity_ids: list[uuid.UUID], day: date) -> list[RoleGrant]:
    rows = await session.execute(
        sa.select(RoleGrant).where(
            RoleGrant.activity_id.in_(activity_ids),
            RoleGrant.validation != rules.Validation.rejected.value,
            sa.or_(RoleGrant.end_date.is_(None), RoleGrant.end_date >= day),
        )
    )
    return [g for g in rows.scalars() if not g.end_reason]


async def decide(
    runtime: ServiceRuntime, caller: ForwardedCaller, grant_id: uuid.UUID, accept: bool, reason: str | None
) -> dict[str, Any]:
    """The Caf validates or rejects a pending approbateur."""
    async with runtime.unit_of_work() as uow:
        line = await uow.session.get(RoleGrant, grant_id)
        if line is None:
            raise RpcFailure("not_found", "Habilitation inconnue.")
        activity = await uow.session.get(Activity, line.activity_id)
        if not caller.manages_habilitations_of(activity.caf_code):
            raise RpcFailure("forbidden", "Seuls les agents habilitations de la Caf valident les approbateurs.")
        if line.validation != rules.Validation.pending.value:
            raise RpcFailure("conflict", "Cette habilitation n'attend pas de validation.")
        if not accept and not (reason or "").strip():
            raise RpcFailure("invalid", "Le motif du refus est obligatoire.", "motif")
        line.validation = (rules.Validation.validated if accept else rules.Validation.rejected).value
        line.decided_by, line.decision_reason = caller.user_id, (reason or "").strip() or None
        event = (
            GrantValidatedV1(grant_id=line.id, user_id=line.user_id, activity_id=line.activity_id)
            if accept
            else GrantRejectedV1(
                grant_id=line.id, user_id=line.user_id, activity_id=line.activity_id, reason=line.decision_reason
            )
        )
        uow.publish(event, subject=str(line.id), aggregate_version=2)
        user = await uow.session.get(KnownUser, line.user_id)
    return view(line, paris_today(runtime.clock.now()), activity, user)


async def end(runtime: ServiceRuntime, caller: ForwardedCaller, grant_id: uuid.UUID) -> dict[str, Any]:
    today = paris_today(runtime.clock.now())
    async with runtime.unit_of_work() as uow:
        line = await uow.session.get(RoleGrant, grant_id)
        if line is None:
            raise RpcFailure("not_found", "Habilitation inconnue.")
        partner = await uow.session.get(KnownPartner, line.partner_id)
        if not may_grant(caller, partner):
            raise RpcFailure("forbidden", "Vous ne pouvez pas modifier les habilitations de ce partenaire.")
        if not endable(line, today):
            raise RpcFailure("conflict", "Cette habilitation est déjà terminée.")
        _end(uow, line, today, "ended")
        activity = await uow.session.get(Activity, line.activity_id)
        user = await uow.session.get(KnownUser, line.user_id)
    return view(line, today, activity, user)


def _end(uow: UnitOfWork, line: RoleGrant, day: date, reason: str) -> None:
    line.end_date = min(line.end_date, day) if line.end_date else day
    line.end_reason = reason
    uow.publish(
        GrantEndedV1(
            grant_id=line.id, user_id=line.user_id, activity_id=line.activity_id, end_date=line.end_date, reason=reason
        ),
        subject=str(line.id),
        aggregate_version=3,
    )


async def end_all(
    uow: UnitOfWork, day: date, reason: str, *, user_id: uuid.UUID | None = None, activity_id: uuid.UUID | None = None
) -> int:
    """End every open grant of a user or of an activity (automatic ends)."""
    query = sa.select(RoleGrant).where(
        RoleGrant.end_reason.is_(None), sa.or_(RoleGrant.end_date.is_(None), RoleGrant.end_date >= day)
    )
    query = query.where(RoleGrant.user_id == user_id) if user_id else query.where(RoleGrant.activity_id == activity_id)
    lines = list((await uow.session.execute(query)).scalars())
    for line in lines:
        _end(uow, line, day, reason)
    return len(lines)


async def pending_queue(runtime: ServiceRuntime, caller: ForwardedCaller) -> list[dict[str, Any]]:
    """The approbateurs awaiting the Caf agent's validation, oldest first."""
    if caller.kind != "caf" or not caller.caf_code:
        raise RpcFailure("forbidden", "La file de validation est celle des agents de la Caf.")
    today = paris_today(runtime.clock.now())
    async with runtime.db.sessions() as session:
        rows = (
            await session.execute(
                sa.select(RoleGrant, Activity, KnownUser)
                .join(Activity, Activity.id == RoleGrant.activity_id)
                .join(KnownUser, KnownUser.user_id == RoleGrant.user_id, isouter=True)
                .where(
                    Activity.caf_code == caller.caf_code,
                    RoleGrant.validation == rules.Validation.pending.value,
                    RoleGrant.end_reason.is_(None),
                )
                .order_by(RoleGrant.created_at)
            )
        ).all()
    return [view(g, today, a, u) for g, a, u in rows]
