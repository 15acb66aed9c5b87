"""A declaration with everything around it, and what the caller may do with it.

Partners act through their grant lines (declaration's own copy, see ``permissions``); Caf agents through their
back-office roles on their own Caf. A partner never reaches another partner's declaration: its lines only
name its own activities.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, DeclarationForm, GrantLine
from afas_declaration.application.errors import Forbidden, NotFound
from afas_declaration.application.permissions import NOT_ACTING
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.runtime import ServiceRuntime

EDITING_ROLE_FOR_KIND = {"activite": "fda", "financier": "fdf"}


@dataclass
class Loaded:
    declaration: Declaration
    activity: ActivityCopy
    campaign: Campaign
    forms: list[DeclarationForm]


async def load(session, declaration_id: uuid.UUID, *, for_update: bool = False) -> Loaded:
    declaration = await session.get(Declaration, declaration_id, with_for_update=for_update)
    if declaration is None:
        raise NotFound("Déclaration inconnue.")
    activity = await session.get(ActivityCopy, declaration.activity_id)
    campaign = await session.get(Campaign, declaration.campaign_id)
    forms = (
        (
            await session.execute(
                sa.select(DeclarationForm)
                .where(DeclarationForm.declaration_id == declaration_id)
                .order_by(DeclarationForm.kind, DeclarationForm.site_name)
            )
        )
        .scalars()
        .all()
    )
    return Loaded(declaration, activity, campaign, list(forms))


@dataclass(frozen=True)
class Standing:
    """What the caller is to one activity: its partner roles (with sites) or its Caf roles."""

    roles: frozenset[tuple[str, uuid.UUID | None]] = frozenset()
    caf_roles: frozenset[str] = frozenset()
    operator: bool = False

    @property
    def approbateur(self) -> bool:
        return any(role == "approbateur" for role, _ in self.roles)

    def may_edit(self, form: DeclarationForm) -> bool:
        if self.approbateur:
            return True
        role = EDITING_ROLE_FOR_KIND[form.kind]
        return any(r == role and (site is None or site == form.site_id) for r, site in self.roles)

    @property
    def full_view(self) -> bool:
        """Sees the whole declaration (every site, the budget, the estimate, the receipt): Caf readers of its Caf,
        the approbateur, and providers granted the whole activity. A provider granted some sites only sees its own
        forms: the receipt and the estimate, which hold the whole budget, are not for it."""
        return self.caf_reader or self.approbateur or any(site is None for _, site in self.roles)

    def sees(self, form: DeclarationForm) -> bool:
        """Whether this form's content is shown to the caller (its own forms, or all of them with the full view)."""
        return self.full_view or self.may_edit(form)

    @property
    def partner_member(self) -> bool:
        return bool(self.roles)

    @property
    def caf_reader(self) -> bool:
        return self.operator or bool(self.caf_roles)

    @property
    def instructor(self) -> bool:
        return self.operator or "instruction" in self.caf_roles

    @property
    def sees_anything(self) -> bool:
        return self.partner_member or self.caf_reader


async def standing(runtime: ServiceRuntime, caller: ForwardedCaller, activity: ActivityCopy) -> Standing:
    if caller.kind == "operator":
        return Standing(operator=True)
    if caller.kind == "caf":
        return Standing(caf_roles=frozenset(caller.caf_roles) if caller.caf_code == activity.caf_code else frozenset())
    if caller.user_id is None:
        return Standing()
    today = paris_today(runtime.clock.now())
    query = sa.select(GrantLine.role, GrantLine.site_id).where(
        GrantLine.user_id == caller.user_id,
        GrantLine.activity_id == activity.activity_id,
        sa.not_(GrantLine.ended),
        GrantLine.start_date <= today,
        sa.or_(GrantLine.end_date.is_(None), GrantLine.end_date >= today),
        GrantLine.validation.not_in(NOT_ACTING),
    )
    async with runtime.db.sessions() as session:
        rows = (await session.execute(query)).all()
    return Standing(roles=frozenset((role, site) for role, site in rows))


WHOLE_BUDGET_REFUSED = (
    "L'estimation, le droit calculé, les paiements et l'accusé de réception portent sur toute la déclaration, "
    "budget compris : ils sont réservés à l'approbateur, aux fournisseurs habilités sur toute l'activité et à la Caf."
)


async def require_whole_view(
    runtime: ServiceRuntime,
    caller: ForwardedCaller,
    *,
    activity_id: uuid.UUID | None = None,
    declaration_id: uuid.UUID | None = None,
) -> None:
    """Refuse (403) a partner user granted only some sites of the activity what covers its whole budget (estimation's
    entitlement and payments: estimation knows partners, not sites). Anyone else is left to the service that answers."""
    if caller.kind != "partner" or caller.user_id is None:
        return
    async with runtime.db.sessions() as session:
        if declaration_id is not None:
            declaration = await session.get(Declaration, declaration_id)
            activity_id = declaration.activity_id if declaration else None
        activity = await session.get(ActivityCopy, activity_id) if activity_id else None
    if activity is None:
        return
    who = await standing(runtime, caller, activity)
    require(not who.partner_member or who.full_view, WHOLE_BUDGET_REFUSED)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise Forbidden(message)
