"""Signature and transmission to the Caf: the approbateur ticks the box, the declaration is controlled one last
time, frozen as an immutable snapshot (canonical JSON + SHA-256, signer, time fixed at the click), and announced to
the Caf; its PDF receipt is rendered from that snapshot by a worker process (``receipts``). Every transmitted
version stays readable with its receipt."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters import declaration_store
from afas_declaration.adapters.metrics import count_transmitted
from afas_declaration.adapters.tables import PartnerCopy, Transmission
from afas_declaration.application import attachments, receipt_download, receipts, request_outcome, review
from afas_declaration.application.actors import actor_of, full_name
from afas_declaration.application.campaigns import DECLARATION_TYPES
from afas_declaration.application.declaration_scope import Loaded, load
from afas_declaration.application.errors import NotFound
from afas_declaration.application.permissions import require, standing_in
from afas_declaration.domain.access_policy import Standing
from afas_declaration.domain.declaration_parts import Sealed
from afas_declaration.domain.forms import load_definition, sections_for
from afas_declaration.domain.snapshot import sealed
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import PARIS, paris_today
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime

ROLE_LABELS = {"approbateur": "Approbateur"}


async def transmit(
    runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID, signed: bool, complement: str | None
) -> dict[str, Any]:
    # One unit of work from the first read (issue 16): the declaration and its forms read locked are what is checked,
    # controlled one last time, sealed and changed — no second read of them, no version to compare. The estimate
    # the seal holds is asked with the lock held: only this declaration's writers wait for it.
    async with runtime.unit_of_work() as uow:
        session = uow.session
        now = runtime.clock.now()
        loaded = await load(session, declaration_id, for_update=True, rights_of=(caller, paris_today(now)))
        partner = await session.get(PartnerCopy, loaded.declaration.partner_id)
        signer = await session.get(KnownUser, caller.user_id) if caller.user_id else None
        who = loaded.standing()
        actor = actor_of(caller, who, signer)
        declaration = await declaration_store.assembled(session, loaded.declaration, loaded.activity, loaded.forms)
        # Checked before the seal and its receipt: the approbateur signs an open declaration, and after the last
        # control run nothing stands in the way
        declaration.check_transmit(actor, signed)
        if complement is not None:
            complement = complement.strip() or None
            loaded.declaration.complement = complement  # sealed in the snapshot; the aggregate stores it below
        earlier = await review.earlier_figures(session, loaded.declaration)
        assessment = await review.assess(runtime, loaded, earlier)
        declaration.check_obstacles(assessment.results)
        signer_name = full_name(signer) or "Utilisateur inconnu"
        transmitted_at = now.astimezone(PARIS).isoformat(timespec="seconds")
        # Read under the declaration's lock, which an upload takes to list its file: the seal names every file listed
        files = [attachments.frozen_entry(row) for row in await attachments.rows_of(session, declaration_id)]
        snapshot, text = sealed(
            _snapshot(loaded, partner, assessment, signer, signer_name, transmitted_at) | {"pieces_jointes": files}
        )
        declaration.transmit(
            actor,
            signed=signed,
            expected_version=declaration.version,
            complement=loaded.declaration.complement,
            results=assessment.results,
            figures=assessment.figures_text,
            estimate=assessment.estimate.get("montant") if assessment.estimate.get("disponible") else None,
            sealed=Sealed(text, snapshot["hash"], receipts.PENDING, signer_name),
            now=now,
        )
        await declaration_store.save(uow, declaration)
        answer = version_view(snapshot, None)
        await request_outcome.settle(uow.session, 201, answer)
    count_transmitted(loaded.declaration.declaration_type)
    # Committed: the receipt is rendered from the stored snapshot by a worker process, the answer does not wait
    receipts.of(runtime).render((declaration_id, snapshot["version"]), snapshot)
    return answer


def _snapshot(loaded: Loaded, partner, assessment, signer, signer_name: str, transmitted_at: str) -> dict[str, Any]:
    d, activity = loaded.declaration, loaded.activity
    family = load_definition(activity.family, loaded.campaign.form_version)
    return {
        "declaration_id": str(d.id),
        "version": d.version,
        "partenaire": {
            "nom": partner.name if partner else None,
            "siret": partner.siret if partner else None,
            "caf": d.caf_code,
        },
        "activite": {
            "id": str(activity.activity_id),
            "nom": activity.name,
            "famille": activity.family,
            "famille_libelle": family.label,
            "nature": activity.nature,
            "nature_libelle": family.natures.get(activity.nature, activity.nature),
        },
        "exercice": d.exercice,
        "type_declaration": d.declaration_type,
        "type_libelle": DECLARATION_TYPES[d.declaration_type],
        "version_formulaires": loaded.campaign.form_version,
        "formulaires": [_form(family, activity.nature, form, d.declaration_type) for form in loaded.forms],
        "chiffres": assessment.figures_text,
        "controles": assessment.results,
        "estimation": assessment.estimate,
        "informations_complementaires": d.complement,
        "signataire": {
            "id": str(signer.user_id) if signer else None,
            "nom": signer_name,
            "identifiant": signer.identifier if signer else None,
            "role": ROLE_LABELS["approbateur"],
        },
        "transmise_le": transmitted_at,
    }


def _form(family, nature: str, form, declaration_type: str) -> dict[str, Any]:
    definition = family.forms[form.kind]
    values = json.loads(form.values)
    return {
        "id": str(form.id),
        "type": form.kind,
        "titre": definition.title_for(declaration_type),
        "lieu": form.site_name,
        "demande": form.requested,
        "sections": [
            {
                "libelle": section.label,
                "champs": [
                    {"id": f.id, "libelle": f.label, "valeur": values.get(f.id), "unite": f.unit, "type": f.type}
                    for f in section.fields
                ],
            }
            for section in sections_for(definition, nature)
        ]
        if form.requested
        else [],
    }


def receipt_path(declaration_id: str, number: int) -> str:
    return f"/api/v1/declarations/{declaration_id}/versions/{number}/accuse.pdf"


def version_view(snapshot: dict[str, Any], transmission: Transmission | None) -> dict[str, Any]:
    decision = None
    if transmission is not None and transmission.decision:
        decided_at = transmission.decided_at.astimezone(PARIS).isoformat(timespec="seconds")
        decision = {
            "decision": transmission.decision,
            "motif": transmission.decision_reason,
            "par": transmission.decided_by_name,
            "le": decided_at,
        }
    return {
        "declaration_id": snapshot["declaration_id"],
        "version": snapshot["version"],
        "hash": snapshot["hash"],
        "transmise_le": snapshot["transmise_le"],
        "signataire": snapshot["signataire"]["nom"],
        "estimation": snapshot["estimation"],
        "decision_caf": decision,
        "accuse_reception": receipt_path(snapshot["declaration_id"], snapshot["version"]),
    }


async def _transmissions(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID):
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
        rows = (
            (
                await session.execute(
                    sa.select(Transmission)
                    .where(Transmission.declaration_id == declaration_id)
                    .order_by(Transmission.version)
                )
            )
            .scalars()
            .all()
        )
        who = await standing_in(session, runtime, caller, loaded.activity)
    require(who.sees_anything, "Cette déclaration n'est pas dans votre périmètre.")
    return loaded, who, list(rows)


def _scoped(snapshot: dict[str, Any], loaded: Loaded, who: Standing) -> dict[str, Any]:
    """A transmitted version as the caller may read it: whole with the full view; to a site's provider, its own
    forms and their controls only — no aggregate figures, no estimate (they hold the whole budget)."""
    if who.full_view:
        return snapshot
    own = {str(f.id) for f in loaded.forms if who.sees(f)}
    return {
        **snapshot,
        "formulaires": [f for f in snapshot["formulaires"] if f["id"] in own],
        "controles": review.results_seen(loaded, snapshot["controles"], who),
        "pieces_jointes": attachments.seen_in_snapshot(snapshot.get("pieces_jointes", []), who),
        "chiffres": None,
        "estimation": dict(review.ESTIMATE_OUT_OF_SCOPE),
    }


async def versions(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID) -> list[dict]:
    loaded, who, rows = await _transmissions(runtime, caller, declaration_id)
    shown = [version_view(_scoped(json.loads(t.snapshot), loaded, who), t) for t in rows]
    if not who.full_view:
        for view in shown:
            view["accuse_reception"] = None  # the receipt holds the whole declaration
    return shown


async def version(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID, number: int) -> dict:
    loaded, who, rows = await _transmissions(runtime, caller, declaration_id)
    for t in rows:
        if t.version == number:
            snapshot = json.loads(t.snapshot)
            return {**_scoped(snapshot, loaded, who), "decision_caf": version_view(snapshot, t)["decision_caf"]}
    raise NotFound(f"Aucune version {number} transmise pour cette déclaration.")


async def receipt(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID, number: int) -> bytes:
    """The PDF receipt of a version (``receipt_download``: one statement)."""
    return await receipt_download.receipt(runtime, caller, declaration_id, number)
