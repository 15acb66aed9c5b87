"""The "Administration des profils" search: partner, user, role, activity, type and nature of activity,
sites yes/no, and state Actif / Historique / Inactif / Non attribué."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from afas_habilitation.adapters.tables import Activity, KnownPartner, RoleGrant, Site
from afas_habilitation.application.grants import facts, may_grant, state, view
from afas_habilitation.domain import grants as rules
from afas_habilitation.domain.catalogue import Family, SiteMode, site_scoped
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.rpc.habilitation import GrantFiltersV1
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime

UNASSIGNED = "Non attribué"


GrantFilters = GrantFiltersV1  # the request contract itself (its fields named as the API names them)


def _scope(caller: ForwardedCaller):
    """Which activities the caller may look at, as a WHERE clause on Activity."""
    if caller.kind == "operator":
        return sa.true()
    if caller.kind == "caf" and caller.caf_code:
        return Activity.caf_code == caller.caf_code
    if caller.kind == "partner" and "AFAS-HABILITER" in caller.groups:
        return Activity.partner_id == caller.partner_id
    raise RpcFailure("forbidden", "La recherche des habilitations est réservée aux administrateurs et à la Caf.")


async def search(runtime: ServiceRuntime, caller: ForwardedCaller, filters: GrantFilters) -> list[dict[str, Any]]:
    today = paris_today(runtime.clock.now())
    activities = sa.select(Activity).where(_scope(caller))
    for column, value in (
        (Activity.partner_id, filters.partner_id),
        (Activity.id, filters.activity_id),
        (Activity.family, filters.family),
        (Activity.nature, filters.nature),
    ):
        if value:
            activities = activities.where(column == value)
    if filters.with_sites is not None:
        multi = Activity.site_mode != SiteMode.mono_lieu.value
        activities = activities.where(multi if filters.with_sites else sa.not_(multi))
    async with runtime.db.sessions() as session:
        found = {a.id: a for a in (await session.execute(activities.order_by(Activity.name))).scalars()}
        lines = (
            sa.select(RoleGrant, KnownUser)
            .join(KnownUser, KnownUser.user_id == RoleGrant.user_id, isouter=True)
            .where(RoleGrant.activity_id.in_(found))
        )
        if filters.user_id:
            lines = lines.where(RoleGrant.user_id == filters.user_id)
        if filters.role:
            lines = lines.where(RoleGrant.role == filters.role)
        rows = (await session.execute(lines.order_by(RoleGrant.role, RoleGrant.start_date))).all()
        if filters.state == UNASSIGNED:
            sites = (
                (await session.execute(sa.select(Site).where(Site.activity_id.in_(found)).order_by(Site.position)))
                .scalars()
                .all()
            )
            partners = {p.partner_id: p.name for p in (await session.execute(sa.select(KnownPartner))).scalars()}
            return _unassigned(
                found, sites, [g for g, _ in rows], today, rules.Role(filters.role) if filters.role else None, partners
            )
    result = [view(g, today, found[g.activity_id], u) for g, u in rows]
    return [g for g in result if filters.state is None or g["etat"] == filters.state]


def _unassigned(activities: dict, sites: list[Site], lines: list[RoleGrant], today, role, partners) -> list[dict]:
    per_activity: dict[str, list[str | None]] = {}
    site_names = {str(s.id): s.name for s in sites}
    for activity in activities.values():
        scoped = site_scoped(Family(activity.family), SiteMode(activity.site_mode))
        own = [str(s.id) for s in sites if s.activity_id == activity.id]
        per_activity[str(activity.id)] = own if scoped and own else [None]
    current = [facts(g) for g in lines if state(g, today) is not rules.State.historique]
    holes = rules.unassigned(per_activity, current, today)
    return [
        {
            "activite_id": activity_id,
            "activite": activities[uuid.UUID(activity_id)].name,
            "partenaire": partners.get(activities[uuid.UUID(activity_id)].partner_id),
            "lieu_id": site,
            "lieu": site_names.get(site) if site else None,
            "role": r.value,
            "role_libelle": r.label,
            "etat": UNASSIGNED,
        }
        for activity_id, site, r in holes
        if role is None or r is role
    ]


async def of_partner(
    runtime: ServiceRuntime, caller: ForwardedCaller, partner_id: uuid.UUID, state_filter: str | None = None
) -> list[dict[str, Any]]:
    async with runtime.db.sessions() as session:
        partner = await session.get(KnownPartner, partner_id)
    if partner is None:
        raise RpcFailure("not_found", "Partenaire inconnu.")
    if not (may_grant(caller, partner) or caller.is_caf_agent_of(partner.caf_code)):
        raise RpcFailure("forbidden", "Ce partenaire n'est pas dans votre périmètre.")
    return await search(runtime, caller, GrantFilters(partner_id=partner_id, state=state_filter))
