""" "Mes déclarations": the declarations a user takes part in, with each form's state."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Declaration, DeclarationForm
from afas_declaration.application.campaigns import DECLARATION_TYPES
from afas_declaration.application.permissions import permissions_of
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.runtime import ServiceRuntime

STATES = {
    "a_saisir": "À saisir",
    "en_cours": "En cours de saisie",
    "controlee": "Contrôlée",
    "transmise": "Transmise Caf",
    "validee": "Validée Caf",
    "refusee": "Refusée Caf",
    "annulee": "Annulée Caf",
}


async def visible_to(runtime: ServiceRuntime, caller: ForwardedCaller) -> list[dict[str, Any]]:
    query = sa.select(Declaration, ActivityCopy).join(ActivityCopy, ActivityCopy.activity_id == Declaration.activity_id)
    if caller.kind == "caf":
        query = query.where(Declaration.caf_code == caller.caf_code)
    elif caller.kind == "partner" and caller.user_id:
        lines = await permissions_of(runtime.db, caller.user_id, paris_today(runtime.clock.now()))
        query = query.where(Declaration.activity_id.in_({uuid.UUID(line["activity_id"]) for line in lines}))
    elif caller.kind != "operator":
        raise RpcFailure("forbidden", "Liste réservée aux utilisateurs habilités.")
    async with runtime.db.sessions() as session:
        rows = (await session.execute(query.order_by(Declaration.exercice.desc(), ActivityCopy.name))).all()
        forms = (
            (
                await session.execute(
                    sa.select(DeclarationForm).where(DeclarationForm.declaration_id.in_([d.id for d, _ in rows]))
                )
            )
            .scalars()
            .all()
        )
    return [_row(d, a, [f for f in forms if f.declaration_id == d.id]) for d, a in rows]


def _row(d: Declaration, a: ActivityCopy, forms: list[DeclarationForm]) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "exercice": d.exercice,
        "type_declaration": DECLARATION_TYPES[d.declaration_type],
        "activite_id": str(a.activity_id),
        "activite": a.name,
        "type_activite": a.family,
        "nature": a.nature,
        "etat": STATES.get(d.state, d.state),
        "formulaires": [
            {
                "id": str(f.id),
                "type": "Données d'activité" if f.kind == "activite" else "Données financières",
                "lieu": f.site_name,
                "etat": STATES.get(f.state, f.state) if f.requested else "Non demandé",
            }
            for f in sorted(forms, key=lambda f: (f.kind, f.site_name or ""))
        ],
        "lieux": [s["name"] for s in json.loads(a.sites)],
    }
