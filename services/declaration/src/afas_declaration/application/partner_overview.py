"""A partner's activities as its Caf sees them on the partner's page: each activity with the grants habilitation
announced on it and the declarations of its campaigns, from this service's own copies (no call to another service).

Reserved to the agents of the partner's Caf (any role) and the operator; an agent of another Caf sees nothing of it.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Declaration, GrantLine
from afas_declaration.application.actors import full_name
from afas_declaration.application.campaigns import DECLARATION_TYPES
from afas_declaration.application.permissions import require
from afas_declaration.domain.access_policy import Access
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.declaration_states import label_of
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime

ROLE_LABELS = {
    "fda": "Fournisseur de données d'activité",
    "fdf": "Fournisseur de données financières",
    "approbateur": "Approbateur",
}
VALIDATION_LABELS = {
    "not_required": "Active",
    "pending": "En attente de validation par la Caf",
    "validated": "Validée par la Caf",
    "rejected": "Refusée par la Caf",
}
NOT_CAF = "Page réservée aux agents de la Caf du partenaire."


async def activities(runtime: ServiceRuntime, caller: ForwardedCaller, partner_id: uuid.UUID) -> list[dict[str, Any]]:
    """The partner's activities in the caller's Caf, by name, each with its grants and declarations."""
    require(Access(caller).on_own_caf().caf_reader, NOT_CAF)
    where = [ActivityCopy.partner_id == partner_id]
    if caller.kind == "caf":
        where.append(ActivityCopy.caf_code == caller.caf_code)
    async with runtime.db.sessions() as session:
        found = (await session.execute(sa.select(ActivityCopy).where(*where).order_by(ActivityCopy.name))).scalars()
        activity_list = list(found)
        ids = [a.activity_id for a in activity_list]
        if not ids:
            return []
        grant_rows = (
            await session.execute(
                sa.select(GrantLine, KnownUser)
                .outerjoin(KnownUser, KnownUser.user_id == GrantLine.user_id)
                .where(GrantLine.activity_id.in_(ids))
                .order_by(GrantLine.start_date)
            )
        ).all()
        declaration_rows = (
            await session.execute(
                sa.select(Declaration)
                .where(Declaration.activity_id.in_(ids))
                .order_by(Declaration.exercice.desc(), Declaration.declaration_type)
            )
        ).scalars()
        sites = {
            uuid.UUID(site["site_id"]): site["name"] for a in activity_list for site in json.loads(a.sites or "[]")
        }
        grants: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
        for line, user in grant_rows:
            grants[line.activity_id].append(_grant(line, user, sites.get(line.site_id) if line.site_id else None))
        declarations: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
        for d in declaration_rows:
            declarations[d.activity_id].append(_declaration(d))
    return [
        {
            "id": str(a.activity_id),
            "nom": a.name,
            "famille": a.family,
            "nature": a.nature,
            "lieux": [site["name"] for site in json.loads(a.sites or "[]")],
            "date_ouverture": a.opening_date.isoformat(),
            "date_fermeture": a.closing_date.isoformat() if a.closing_date else None,
            "habilitations": grants.get(a.activity_id, []),
            "declarations": declarations.get(a.activity_id, []),
        }
        for a in activity_list
    ]


def _grant(line: GrantLine, user: KnownUser | None, site: str | None) -> dict[str, Any]:
    if line.ended:
        standing = "Terminée"
    else:
        standing = VALIDATION_LABELS.get(line.validation, "Active")
    return {
        "utilisateur": full_name(user) or "Utilisateur inconnu",
        "identifiant": user.identifier if user else None,
        "role": ROLE_LABELS.get(line.role, line.role),
        "lieu": site,
        "date_debut": line.start_date.isoformat(),
        "date_fin": line.end_date.isoformat() if line.end_date else None,
        "etat": standing,
    }


def _declaration(d: Declaration) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "exercice": d.exercice,
        "type_declaration": DECLARATION_TYPES.get(d.declaration_type, d.declaration_type),
        "etat": label_of(d.state),
        "version": d.version,
    }
