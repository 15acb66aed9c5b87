"""The catalogue of activities and their sites, as the Caf's information system holds it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa

from afas_habilitation.adapters.tables import Activity, KnownPartner, Site
from afas_habilitation.application.grants import end_all
from afas_habilitation.domain.catalogue import NATURES, ActivityFacts, Family, SiteMode, activity_problems, site_scoped
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.events.habilitation import (
    ActivityClosedV1,
    ActivityRegisteredV1,
    ActivityUpdatedV1,
    SiteV1,
)
from afas_shared.contracts.rpc.habilitation import ActivityFieldsV1
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime

EDITORS = ("habilitations", "parametrage")


ActivityInput = ActivityFieldsV1  # the request contract itself (its fields named as the API names them)

# The domain's name of a fact → the request's attribute, where they differ; the refusal gives its API name.
_FACT_ATTRIBUTES = {"opening": "opening_date", "closing": "closing_date"}


def facts_of(data: ActivityInput) -> ActivityFacts:
    site_mode = SiteMode(data.site_mode)
    sites = tuple(data.sites) or ((data.name,) if site_mode is SiteMode.mono_lieu else ())
    return ActivityFacts(
        family=Family(data.family),
        nature=data.nature,
        name=data.name,
        site_mode=site_mode,
        sites=sites,
        opening=data.opening_date,
        closing=data.closing_date,
        capacity=data.capacity,
        equipment_id=data.equipment_id,
        afc_file=data.afc_file,
    )


def check(facts: ActivityFacts) -> None:
    problems = activity_problems(facts)
    if problems:
        fact, message = problems[0]
        field = ActivityInput.model_fields[_FACT_ATTRIBUTES.get(fact, fact)]
        raise RpcFailure("invalid", message, field.alias or fact)


async def partner_of(session, partner_id: uuid.UUID) -> KnownPartner:
    partner = await session.get(KnownPartner, partner_id)
    if partner is None:
        raise RpcFailure("invalid", "Partenaire inconnu du catalogue.", "partenaire_id")
    return partner


def may_edit(caller: ForwardedCaller, caf_code: str) -> bool:
    return caller.kind == "operator" or caller.is_caf_agent_of(caf_code, *EDITORS)


def may_read(caller: ForwardedCaller, activity: Activity) -> bool:
    return (
        caller.kind == "operator"
        or caller.is_caf_agent_of(activity.caf_code)
        or (caller.kind == "partner" and caller.partner_id == activity.partner_id)
    )


def _state(activity: Activity, sites: list[Site]) -> dict[str, Any]:
    return {
        "activity_id": activity.id,
        "partner_id": activity.partner_id,
        "caf_code": activity.caf_code,
        "family": activity.family,
        "nature": activity.nature,
        "name": activity.name,
        "site_mode": activity.site_mode,
        "sites": [SiteV1(site_id=s.id, name=s.name) for s in sites],
        "opening_date": activity.opening_date,
        "closing_date": activity.closing_date,
        "capacity": activity.capacity,
        "equipment_id": activity.equipment_id,
        "afc_file": activity.afc_file,
    }


def view(activity: Activity, sites: list[Site], partner_name: str | None = None) -> dict[str, Any]:
    family = Family(activity.family)
    return {
        "id": str(activity.id),
        "partenaire_id": str(activity.partner_id),
        "partenaire": partner_name,
        "caf": activity.caf_code,
        "type": family.value,
        "type_libelle": family.label,
        "nature": activity.nature,
        "nature_libelle": NATURES[family].get(activity.nature, activity.nature),
        "nom": activity.name,
        "mode_lieux": activity.site_mode,
        "mode_lieux_libelle": SiteMode(activity.site_mode).label,
        "lieux": [{"id": str(s.id), "nom": s.name} for s in sites],
        # the rule a grant naming one of its sites is checked with: the pages offer the sites only then
        "perimetre_par_lieu": site_scoped(family, SiteMode(activity.site_mode)),
        "date_ouverture": activity.opening_date.isoformat(),
        "date_fermeture": activity.closing_date.isoformat() if activity.closing_date else None,
        "places": activity.capacity,
        "ideq": activity.equipment_id,
        "dossier_afc": activity.afc_file,
    }


async def sites_of(session, activity_id: uuid.UUID) -> list[Site]:
    return list(
        (
            await session.execute(sa.select(Site).where(Site.activity_id == activity_id).order_by(Site.position))
        ).scalars()
    )


def activity_values(partner: KnownPartner, facts: ActivityFacts, caf_code: str) -> tuple[dict, list[dict]]:
    """The rows of an activity about to be registered, as values: its own and its sites' (nothing stored yet)."""
    activity = {
        "id": uuid.uuid4(),
        "partner_id": partner.partner_id,
        "caf_code": caf_code,
        "family": facts.family.value,
        "nature": facts.nature,
        "name": facts.name,
        "site_mode": facts.site_mode.value,
        "opening_date": facts.opening,
        "closing_date": facts.closing,
        "capacity": facts.capacity,
        "equipment_id": facts.equipment_id,
        "afc_file": facts.afc_file,
        "version": 1,
    }
    sites = [
        {"id": uuid.uuid4(), "activity_id": activity["id"], "name": name, "position": position}
        for position, name in enumerate(facts.sites)
    ]
    return activity, sites


def registered(activity: dict, sites: list[dict]) -> tuple[ActivityRegisteredV1, str, int]:
    """The registration event of an activity stored from ``activity_values`` (for ``publish_all``)."""
    state = {key: activity[key] for key in _STATE_FIELDS} | {
        "activity_id": activity["id"],
        "sites": [SiteV1(site_id=s["id"], name=s["name"]) for s in sites],
    }
    return ActivityRegisteredV1(**state), str(activity["id"]), 1


_STATE_FIELDS = (
    "partner_id",
    "caf_code",
    "family",
    "nature",
    "name",
    "site_mode",
    "opening_date",
    "closing_date",
    "capacity",
    "equipment_id",
    "afc_file",
)


async def create(uow: UnitOfWork, partner: KnownPartner, facts: ActivityFacts, caf_code: str) -> Activity:
    values, site_values = activity_values(partner, facts, caf_code)
    activity, sites = Activity(**values), [Site(**s) for s in site_values]
    uow.session.add(activity)
    await uow.session.flush()  # the activity row exists before its sites reference it
    uow.session.add_all(sites)
    uow.publish(ActivityRegisteredV1(**_state(activity, sites)), subject=str(activity.id), aggregate_version=1)
    return activity


async def apply_changes(uow: UnitOfWork, activity: Activity, facts: ActivityFacts) -> bool:
    """Bring the activity to ``facts``; sites keep their id when their name stays. False when nothing changed."""
    sites = await sites_of(uow.session, activity.id)
    current = (
        activity.family,
        activity.nature,
        activity.name,
        activity.site_mode,
        activity.opening_date,
        activity.closing_date,
        activity.capacity,
        activity.afc_file,
        tuple(s.name for s in sites),
    )
    wanted = (
        facts.family.value,
        facts.nature,
        facts.name,
        facts.site_mode.value,
        facts.opening,
        facts.closing,
        facts.capacity,
        facts.afc_file,
        facts.sites,
    )
    if current == wanted:
        return False
    (
        activity.family,
        activity.nature,
        activity.name,
        activity.site_mode,
        activity.opening_date,
        activity.closing_date,
        activity.capacity,
        activity.afc_file,
    ) = wanted[:8]
    by_name = {s.name.casefold(): s for s in sites}
    kept = []
    for position, name in enumerate(facts.sites):
        site = by_name.pop(name.casefold(), None) or Site(
            id=uuid.uuid4(), activity_id=activity.id, name=name, position=position
        )
        site.name, site.position = name, position
        uow.session.add(site)
        kept.append(site)
    for gone in by_name.values():
        await uow.session.delete(gone)
    activity.version += 1
    uow.publish(
        ActivityUpdatedV1(**_state(activity, kept)), subject=str(activity.id), aggregate_version=activity.version
    )
    return True


async def register(runtime: ServiceRuntime, caller: ForwardedCaller, data: ActivityInput) -> dict[str, Any]:
    facts = facts_of(data)
    check(facts)
    async with runtime.unit_of_work() as uow:
        partner = await partner_of(uow.session, data.partner_id)
        if not may_edit(caller, partner.caf_code):
            raise RpcFailure("forbidden", "Seuls les agents de la Caf du partenaire gèrent son catalogue d'activités.")
        if (
            data.equipment_id
            and (
                await uow.session.execute(sa.select(Activity.id).where(Activity.equipment_id == data.equipment_id))
            ).first()
        ):
            raise RpcFailure("conflict", f"Une activité porte déjà l'identifiant IDEQU {data.equipment_id}.", "ideq")
        activity = await create(uow, partner, facts, partner.caf_code)
        sites = await sites_of(uow.session, activity.id)
    return view(activity, sites, partner.name)


async def update(
    runtime: ServiceRuntime, caller: ForwardedCaller, activity_id: uuid.UUID, data: ActivityInput
) -> dict[str, Any]:
    facts = facts_of(data)
    check(facts)
    async with runtime.unit_of_work() as uow:
        activity = await _editable(uow, caller, activity_id)
        if data.partner_id != activity.partner_id:
            raise RpcFailure("invalid", "Une activité ne change pas de partenaire.", "partenaire_id")
        if data.equipment_id != activity.equipment_id:
            raise RpcFailure("invalid", "L'identifiant IDEQU d'une activité ne change pas.", "ideq")
        await apply_changes(uow, activity, facts)
        partner = await uow.session.get(KnownPartner, activity.partner_id)
        sites = await sites_of(uow.session, activity.id)
    return view(activity, sites, partner.name if partner else None)


async def close(runtime: ServiceRuntime, caller: ForwardedCaller, activity_id: uuid.UUID, closing: date) -> dict:
    async with runtime.unit_of_work() as uow:
        activity = await _editable(uow, caller, activity_id)
        if closing < activity.opening_date:
            raise RpcFailure(
                "invalid",
                "La date de fermeture doit être postérieure ou égale à la date d'ouverture.",
                "date_fermeture",
            )
        activity.closing_date, activity.version = closing, activity.version + 1
        await end_all(uow, closing, "activity_closed", activity_id=activity.id)
        uow.publish(
            ActivityClosedV1(activity_id=activity.id, partner_id=activity.partner_id, closing_date=closing),
            subject=str(activity.id),
            aggregate_version=activity.version,
        )
        sites = await sites_of(uow.session, activity.id)
    return view(activity, sites)


async def _editable(uow: UnitOfWork, caller: ForwardedCaller, activity_id: uuid.UUID) -> Activity:
    activity = await uow.session.get(Activity, activity_id)
    if activity is None:
        raise RpcFailure("not_found", "Activité inconnue.")
    if not may_edit(caller, activity.caf_code):
        raise RpcFailure("forbidden", "Seuls les agents de la Caf de l'activité la modifient.")
    return activity


async def get(runtime: ServiceRuntime, caller: ForwardedCaller, activity_id: uuid.UUID) -> dict[str, Any]:
    async with runtime.db.sessions() as session:
        activity = await session.get(Activity, activity_id)
        if activity is None:
            raise RpcFailure("not_found", "Activité inconnue.")
        if not may_read(caller, activity):
            raise RpcFailure("forbidden", "Cette activité n'est pas dans votre périmètre.")
        partner = await session.get(KnownPartner, activity.partner_id)
        return view(activity, await sites_of(session, activity.id), partner.name if partner else None)


async def search(
    runtime: ServiceRuntime,
    caller: ForwardedCaller,
    partner_id: uuid.UUID | None = None,
    family: str | None = None,
    nature: str | None = None,
) -> list[dict[str, Any]]:
    query = sa.select(Activity, KnownPartner.name).join(
        KnownPartner, KnownPartner.partner_id == Activity.partner_id, isouter=True
    )
    if caller.kind == "caf":
        query = query.where(Activity.caf_code == caller.caf_code)
    elif caller.kind == "partner":
        query = query.where(Activity.partner_id == caller.partner_id)
    for column, value in ((Activity.partner_id, partner_id), (Activity.family, family), (Activity.nature, nature)):
        if value:
            query = query.where(column == value)
    async with runtime.db.sessions() as session:
        rows = (await session.execute(query.order_by(Activity.name))).all()
        sites = await sites_of_many(session, [a.id for a, _ in rows])
        return [view(a, sites.get(a.id, []), name) for a, name in rows]


async def sites_of_many(session, activity_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Site]]:
    """The sites of several activities in one query, each activity's in their order."""
    found: dict[uuid.UUID, list[Site]] = {}
    if activity_ids:
        query = sa.select(Site).where(Site.activity_id.in_(activity_ids)).order_by(Site.activity_id, Site.position)
        for site in (await session.execute(query)).scalars():
            found.setdefault(site.activity_id, []).append(site)
    return found
