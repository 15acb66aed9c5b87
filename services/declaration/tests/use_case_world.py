"""The world a use-case test needs, put in place the way production fills declaration's database: identity's and
habilitation's events handed to declaration's own consumers (partner, users, activities, grant lines), and the
campaign opened by a Caf agent through ``campaigns.create``. No declaration row is written by hand.

Callers are built as the gateway forwards them (``ForwardedCaller``): a partner's user, a Caf agent with roles, the
operator.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import Campaign, Declaration
from afas_declaration.application import campaign_opening, campaigns, drafts
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.events.habilitation import ActivityRegisteredV1, GrantValidatedV1, RoleGrantedV1, SiteV1
from afas_shared.contracts.events.identity import PartnerRegisteredV1, UserCreatedV1
from afas_shared.testing.delivery import deliver, event
from services.declaration.tests.estimation_double import Estimation
from services.declaration.tests.use_case_harness import DeclarationRuntime

CAF = "080"


@dataclass(frozen=True)
class Activity:
    id: uuid.UUID
    name: str
    site_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    caller: ForwardedCaller


class World:
    """One partner of the Somme's Caf (« Commune d'Amiens »), its users and activities, as declaration learns them."""

    def __init__(self, declaration: DeclarationRuntime) -> None:
        self.declaration = declaration
        self.runtime = declaration.runtime
        self.estimation = Estimation(declaration.bus)
        self.partner_id = uuid.uuid4()
        self._identifiers = iter(range(200000010, 200001000))
        self.agent = ForwardedCaller(
            kind="caf", user_id=uuid.uuid4(), caf_code=CAF, caf_roles=frozenset({"instruction", "parametrage"})
        )
        self.operator = ForwardedCaller(kind="operator")

    async def published(self, subject: str | None = None):
        return await self.declaration.published(subject)

    async def _handle(self, data: Any, subject: uuid.UUID, version: int = 1) -> None:
        outcome = await deliver(self.runtime, event(data, subject, version))
        assert outcome == "handled", (type(data).__name__, outcome)

    async def register_partner(self, name: str = "Commune d'Amiens", siret: str = "21800021900004") -> None:
        data = PartnerRegisteredV1(
            partner_id=self.partner_id, name=name, siret=siret, kind="commune", caf_code=CAF, delegated=True
        )
        await self._handle(data, self.partner_id)

    async def user(self, first_name: str, last_name: str) -> User:
        """A user of the partner, known to declaration's directory (names on saves, receipts and decisions)."""
        user_id, identifier = uuid.uuid4(), str(next(self._identifiers))
        data = UserCreatedV1(
            user_id=user_id,
            identifier=identifier,
            last_name=last_name,
            first_name=first_name,
            email=f"{identifier}@amiens.example",
            partner_id=self.partner_id,
        )
        await self._handle(data, user_id)
        caller = ForwardedCaller(
            kind="partner", user_id=user_id, partner_id=self.partner_id, groups=frozenset({"AFAS-DECLARER"})
        )
        return User(user_id, caller)

    async def activity(
        self,
        family: str,
        nature: str,
        name: str,
        sites: tuple[str, ...] = ("Lieu principal",),
        opening_date: date = date(2020, 1, 1),
        closing_date: date | None = None,
    ) -> Activity:
        """An activity registered by the Caf (several sites: a multi-site activity, one activity form per site)."""
        activity_id = uuid.uuid4()
        site_list = [SiteV1(site_id=uuid.uuid4(), name=site) for site in sites]
        data = ActivityRegisteredV1(
            activity_id=activity_id,
            partner_id=self.partner_id,
            caf_code=CAF,
            family=family,
            nature=nature,
            name=name,
            site_mode="mono_lieu" if len(sites) == 1 else "multi_lieux_antennes",
            sites=site_list,
            opening_date=opening_date,
            closing_date=closing_date,
        )
        await self._handle(data, activity_id)
        return Activity(activity_id, name, [s.site_id for s in site_list])

    async def grant(
        self, user: User, role: str, activity: Activity, site: int | None = None, *, validated: bool = True
    ) -> uuid.UUID:
        """A role granted by the partner's administrator; an approbateur's line is validated by the Caf at once
        unless told (then it waits for the Caf and does not act)."""
        grant_id = uuid.uuid4()
        approbateur = role == "approbateur"
        data = RoleGrantedV1(
            grant_id=grant_id,
            group_id=uuid.uuid4(),
            user_id=user.id,
            partner_id=self.partner_id,
            role=role,
            activity_id=activity.id,
            site_id=activity.site_ids[site] if site is not None else None,
            start_date=date(2020, 1, 1),
            validation="pending" if approbateur else "not_required",
        )
        await self._handle(data, grant_id)
        if approbateur and validated:
            await self._handle(
                GrantValidatedV1(grant_id=grant_id, user_id=user.id, activity_id=activity.id), grant_id, 2
            )
        return grant_id

    async def campaign(
        self, family: str, declaration_type: str = "previsionnelle", exercice: int = 2026, opens_in: int = 0
    ) -> dict[str, Any]:
        """A campaign created by the Caf's paramétrage agent (opened at once when its date has come)."""
        opening = paris_today(self.runtime.clock.now()) + timedelta(days=opens_in)
        data = campaigns.CampaignInput(
            family=family,
            exercice=exercice,
            declaration_type=declaration_type,
            opening_date=opening,
            deadline=opening + timedelta(days=60),
        )
        created = await campaigns.create(self.runtime, self.agent, data)
        if created["job_id"] is None:
            return created
        await campaign_opening.opener(self.runtime).run_pending()  # however long the wait, the opening ends here
        async with self.runtime.db.sessions() as session:
            return campaigns.view(await session.get(Campaign, uuid.UUID(created["id"])))

    async def declaration_of(self, activity: Activity, declaration_type: str = "previsionnelle") -> uuid.UUID:
        """The activity's declaration of that type (read, never written, here)."""
        async with self.runtime.db.sessions() as session:
            rows = await session.execute(
                sa.select(Declaration.id).where(
                    Declaration.activity_id == activity.id, Declaration.declaration_type == declaration_type
                )
            )
            [declaration_id] = rows.scalars().all()
        return declaration_id

    async def forms(self, declaration_id: uuid.UUID) -> dict[tuple[str, str | None], dict[str, Any]]:
        """The declaration's forms as the Caf reads them, by (kind, site name)."""
        view = await drafts.detail(self.runtime, self.agent, declaration_id)
        return {(f["type"], f["lieu"]): f for f in view["formulaires"]}
