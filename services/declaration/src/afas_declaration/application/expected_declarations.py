"""The expected declarations of a campaign: which activities get one, created once each with their forms and their
``declaration.declaration_expected.v1`` (opening, a late activity, the reconciliation).

"Once" is the database's: the unique (campaign, activity) constraint (migration 0004) and an insert-if-absent
(``ON CONFLICT DO NOTHING``), so an opening batch and a registration that both create the same declaration never
take the campaign's lock: the second insert does nothing, and only the rows actually inserted get forms and an event.
The one lock left orders a registration with the start of a job (``lock_campaigns`` / ``joined_campaigns``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, DeclarationForm
from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.contracts.events.declaration import DeclarationExpectedV1, ExpectedFormV1
from afas_shared.messaging.unit_of_work import UnitOfWork

# What an expected declaration needs of an activity: an ``ActivityCopy`` or a row of these columns (the batches)
ACTIVITY_COLUMNS = (
    ActivityCopy.activity_id,
    ActivityCopy.partner_id,
    ActivityCopy.name,
    ActivityCopy.opening_date,
    ActivityCopy.closing_date,
    ActivityCopy.site_mode,
    ActivityCopy.sites,
)


class ActivityFields(Protocol):
    @property
    def activity_id(self) -> uuid.UUID: ...
    @property
    def partner_id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def opening_date(self) -> date: ...
    @property
    def closing_date(self) -> date | None: ...
    @property
    def site_mode(self) -> str: ...
    @property
    def sites(self) -> str: ...


async def lock_campaigns(session: AsyncSession, *where: sa.ColumnElement[bool]) -> list[Campaign]:
    """The campaigns matching ``where``, locked until the transaction ends, read after the lock (fresh): the start
    of an opening job (``FOR UPDATE``, which waits for the registrations reading them, see ``joined_campaigns``).

    SQLite has no row locks: a no-op write takes the database's write lock, which serialises the writers the same
    way.
    """
    if session.get_bind().dialect.name == "postgresql":
        query = sa.select(Campaign).where(*where).order_by(Campaign.id).with_for_update()
    else:
        await session.execute(
            sa.update(Campaign)
            .where(*where)
            .values(opened=Campaign.opened)
            .execution_options(synchronize_session=False)
        )
        query = sa.select(Campaign).where(*where).order_by(Campaign.id)
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


async def joined_campaigns(session: AsyncSession, *where: sa.ColumnElement[bool]) -> list[Campaign]:
    """The campaigns a registration reads to join those whose opening started, fresh.

    PostgreSQL: ``FOR KEY SHARE``, the weakest row lock. Registrations share it, an opening batch never locks the
    campaign and its last ``UPDATE … opened`` takes a lock that does not conflict with it; only the start of a job
    (``FOR UPDATE``) waits for it, or makes it wait. So a registration committed before a job starts is read by
    the job's batches, and one that reads after sees the job and inserts its declaration itself (if absent).
    SQLite: a unit of work holds the database's write lock from its start (``BEGIN IMMEDIATE``): a plain read.
    """
    query = sa.select(Campaign).where(*where).order_by(Campaign.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True, key_share=True)
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


def active_during(activity: ActivityFields, exercice: int) -> bool:
    return activity.opening_date <= date(exercice, 12, 31) and (
        activity.closing_date is None or activity.closing_date >= date(exercice, 1, 1)
    )


async def expect(uow: UnitOfWork, campaign: Campaign, activity: ActivityFields) -> bool:
    """The activity's declaration for this campaign, if absent; True when it created it."""
    return await store(uow, prepare(campaign, [activity])) == 1


@dataclass(frozen=True)
class Expected:
    """One activity's declaration, its forms and its event, built before anything is written."""

    activity_id: uuid.UUID
    declaration: dict[str, Any]
    forms: list[dict[str, Any]]
    event: tuple[DeclarationExpectedV1, str, int]


def prepare(campaign: Campaign, activities: Sequence[ActivityFields]) -> list[Expected]:
    """The declarations the activities active during the exercice expect, with their forms (activity data per site
    where multi-site) and events: pure work, before the transaction writes anything."""
    prepared = []
    for activity in activities:
        if not active_during(activity, campaign.exercice):
            continue
        declaration_id = uuid.uuid4()
        forms = _forms_of(declaration_id, activity)
        event = DeclarationExpectedV1(
            declaration_id=declaration_id,
            campaign_id=campaign.id,
            activity_id=activity.activity_id,
            partner_id=activity.partner_id,
            caf_code=campaign.caf_code,
            exercice=campaign.exercice,
            declaration_type=campaign.declaration_type,
            deadline=campaign.deadline,
            forms=[
                ExpectedFormV1(form_id=f["id"], kind=f["kind"], site_id=f["site_id"], requested=True) for f in forms
            ],
        )
        declaration = {
            "id": declaration_id,
            "campaign_id": campaign.id,
            "activity_id": activity.activity_id,
            "partner_id": activity.partner_id,
            "activity_name": activity.name,
            "caf_code": campaign.caf_code,
            "exercice": campaign.exercice,
            "declaration_type": campaign.declaration_type,
        }
        prepared.append(Expected(activity.activity_id, declaration, forms, (event, str(declaration_id), 1)))
    return prepared


# The columns of a new declaration and a new form that are the same for every row: the SQLite path inserts them per
# row, PostgreSQL's once per statement
NEW_DECLARATION = {"state": DeclarationState.a_saisir.value, "version": 1}
NEW_FORM = {"requested": True, "state": DeclarationState.a_saisir.value, "values": "{}", "version": 0}

# PostgreSQL: a batch in one statement per table, each varying column sent as one array (``unnest``): a few
# parameters instead of one per row and column (the driver's per-row work was most of a batch's time)
_PG_DECLARATIONS = sa.text(
    "INSERT INTO declaration (id, campaign_id, activity_id, partner_id, activity_name, caf_code, exercice, "
    "declaration_type, state, version) "
    "SELECT d.id, :campaign_id, d.activity_id, d.partner_id, d.activity_name, :caf_code, :exercice, "
    ":declaration_type, :state, :version FROM unnest(CAST(:ids AS uuid[]), CAST(:activity_ids AS uuid[]), "
    "CAST(:partner_ids AS uuid[]), CAST(:activity_names AS text[])) AS d(id, activity_id, partner_id, activity_name) "
    "ON CONFLICT (campaign_id, activity_id) DO NOTHING RETURNING id"
)
_PG_FORMS = sa.text(
    'INSERT INTO declaration_form (id, declaration_id, kind, site_id, site_name, requested, state, "values", '
    "version) "
    "SELECT f.id, f.declaration_id, f.kind, f.site_id, f.site_name, :requested, :state, :values, :version "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:declaration_ids AS uuid[]), CAST(:kinds AS text[]), "
    "CAST(:site_ids AS uuid[]), CAST(:site_names AS text[])) AS f(id, declaration_id, kind, site_id, site_name)"
)


async def _insert_if_absent(session: AsyncSession, prepared: list[Expected]) -> set[uuid.UUID]:
    """INSERT … ON CONFLICT (campaign, activity) DO NOTHING of the prepared declarations (one campaign's): the ids
    it inserted (a conflict keeps the other transaction's row and id)."""
    rows = [e.declaration for e in prepared]
    if session.get_bind().dialect.name == "postgresql":
        first = rows[0]
        result = await session.execute(
            _PG_DECLARATIONS,
            {
                **{key: first[key] for key in ("campaign_id", "caf_code", "exercice", "declaration_type")},
                **NEW_DECLARATION,
                "ids": [r["id"] for r in rows],
                "activity_ids": [r["activity_id"] for r in rows],
                "partner_ids": [r["partner_id"] for r in rows],
                "activity_names": [r["activity_name"] for r in rows],
            },
        )
        return set(result.scalars())
    insert = sqlite.insert(Declaration.__table__).on_conflict_do_nothing(index_elements=["campaign_id", "activity_id"])
    await session.execute(insert, [r | NEW_DECLARATION for r in rows])
    # Ours are fresh ids: those found are the rows this statement inserted
    ids = [r["id"] for r in rows]
    return set((await session.execute(sa.select(Declaration.id).where(Declaration.id.in_(ids)))).scalars())


async def _insert_forms(session: AsyncSession, forms: list[dict[str, Any]]) -> None:
    if session.get_bind().dialect.name == "postgresql":
        columns = {"ids": "id", "declaration_ids": "declaration_id", "kinds": "kind", "site_ids": "site_id"}
        arrays = {param: [f[key] for f in forms] for param, key in columns.items()}
        await session.execute(_PG_FORMS, {**arrays, "site_names": [f["site_name"] for f in forms], **NEW_FORM})
    else:  # a Core executemany: the ORM's bulk path costs more than the rows
        await session.execute(sa.insert(DeclarationForm.__table__), [f | NEW_FORM for f in forms])


async def store(uow: UnitOfWork, prepared: list[Expected]) -> int:
    """Insert the prepared declarations (one campaign's) that do not exist yet, then the forms and the events of
    those actually inserted: one statement per table (PostgreSQL) or one executemany (SQLite), the events in one
    multi-row insert. No campaign lock: the unique (campaign, activity) constraint decides, and an insert that meets
    another transaction's uncommitted twin waits for that transaction only. How many it created."""
    if not prepared:
        return 0
    inserted = await _insert_if_absent(uow.session, prepared)
    new = [e for e in prepared if e.declaration["id"] in inserted]
    if new:
        await _insert_forms(uow.session, [f for e in new for f in e.forms])
        await uow.publish_all(e.event for e in new)
    return len(new)


def _forms_of(declaration_id: uuid.UUID, activity: ActivityFields) -> list[dict[str, Any]]:
    """The declaration's forms: one activity form per site of a multi-site activity (else one), one financial."""
    sites = json.loads(activity.sites)
    per_site = activity.site_mode != "mono_lieu" and len(sites) > 1
    where = [(uuid.UUID(s["site_id"]), s["name"]) for s in sites] if per_site else [(None, None)]
    forms = [
        {"id": uuid.uuid4(), "declaration_id": declaration_id, "kind": "activite", "site_id": site, "site_name": name}
        for site, name in where
    ]
    forms.append(
        {"id": uuid.uuid4(), "declaration_id": declaration_id, "kind": "financier", "site_id": None, "site_name": None}
    )
    return forms
