"""A declaration with everything around it (its activity, campaign and forms), loaded in one session.

What the caller may do with it is ``permissions``' to answer (the domain's ``access_policy``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, DeclarationForm
from afas_declaration.application.errors import NotFound


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
