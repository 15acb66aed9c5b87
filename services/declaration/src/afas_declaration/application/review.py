"""Before transmission: the coherence controls (blocking and flagged) run on the stored forms, what stands in the
way of transmission, and the estimate. The approbateur's answers to them are in ``approbateur_actions``.

The controls are data (``domain/controls``); here they meet the stored forms, the activity's earlier
transmitted declarations (variation, forecast/actual gap) and the ceilings the estimate used.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Declaration, DeclarationForm, Transmission
from afas_declaration.application import estimates
from afas_declaration.application.declaration_list import STATES
from afas_declaration.application.declaration_scope import (
    WHOLE_BUDGET_REFUSED,
    Loaded,
    Standing,
    load,
    require,
    standing,
)
from afas_declaration.application.errors import Conflict
from afas_declaration.domain import controls as control_rules
from afas_declaration.domain.figures import declaration_figures
from afas_declaration.domain.forms import FamilyDefinition, load_definition
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import PARIS
from afas_shared.contracts.events.declaration import DeclarationControlledV1
from afas_shared.runtime import ServiceRuntime

CONTROLLABLE_STATES = ("a_saisir", "en_cours", "controlee", "refusee", "en_revision")
ESTIMATE_OUT_OF_SCOPE = {
    "disponible": False,
    "message": "Estimation non affichée : elle porte sur toute l'activité, budget compris, au-delà de vos lieux.",
}


@dataclass
class Assessment:
    results: list[dict[str, Any]]
    figures: dict[str, Any]
    estimate: dict[str, Any]

    @property
    def figures_text(self) -> dict[str, str]:
        return estimates.figures_as_strings(self.figures)


def facts(declaration: Declaration, activity: ActivityCopy) -> dict[str, Any]:
    """The fields every declaration lifecycle event carries."""
    return {
        "declaration_id": declaration.id,
        "declaration_version": declaration.version,
        "activity_id": declaration.activity_id,
        "partner_id": declaration.partner_id,
        "caf_code": declaration.caf_code,
        "family": activity.family,
        "nature": activity.nature,
        "exercice": declaration.exercice,
        "declaration_type": declaration.declaration_type,
    }


async def _earlier_figures(session, declaration: Declaration) -> tuple[dict | None, dict | None]:
    """Figures of the same declaration of the previous exercice (a réelle against last year's réelle: another
    type would cover another period), and of this exercice's forecast; each from its latest transmitted version."""
    rows = (
        await session.execute(
            sa.select(Declaration, Transmission)
            .join(Transmission, Transmission.declaration_id == Declaration.id)
            .where(Declaration.activity_id == declaration.activity_id, Declaration.id != declaration.id)
            .order_by(Transmission.version)
        )
    ).all()
    latest: dict[uuid.UUID, tuple[Declaration, Transmission]] = {d.id: (d, t) for d, t in rows}
    previous = None
    for d, t in latest.values():
        if d.exercice == declaration.exercice - 1 and d.declaration_type == declaration.declaration_type:
            previous = json.loads(t.snapshot).get("chiffres")
    forecast = None
    if declaration.declaration_type != "previsionnelle":
        for d, t in latest.values():
            if d.exercice == declaration.exercice and d.declaration_type == "previsionnelle":
                forecast = json.loads(t.snapshot).get("chiffres")
    return previous, forecast


CEILING_PARAMETERS = ("prix_plafond", "montant_maximum_par_groupe")


def _references(estimate: dict[str, Any]) -> dict[str, Decimal]:
    """The ceiling the estimate applied (``prix_plafond``), for the cost-per-unit control: the computed ceiling
    step when the rule derives it (PSU brackets and slope), else the barème's own ceiling parameter."""
    if not estimate.get("disponible"):
        return {}
    candidates = [s["valeur"] for s in estimate.get("etapes", []) if s.get("libelle", "").startswith("Prix plafond")]
    candidates += [
        p["valeur"] for p in estimate.get("parametres", []) if str(p.get("nom", "")).startswith(CEILING_PARAMETERS)
    ]
    for value in candidates:
        try:
            return {"prix_plafond": Decimal(str(value))}
        except InvalidOperation:
            continue
    return {}


def _typed(loaded: Loaded, kind: str) -> list[tuple[str | None, dict[str, Any]]]:
    """What was typed in each requested form of ``kind`` (stored values also hold the computed fields)."""
    definition = load_definition(loaded.activity.family, loaded.campaign.form_version).forms[kind]
    return [
        (
            form.site_name,
            {
                k: v
                for k, v in json.loads(form.values).items()
                if k in definition.fields and not definition.fields[k].is_computed
            },
        )
        for form in loaded.forms
        if form.kind == kind and form.requested
    ]


def figures_of(loaded: Loaded) -> dict[str, Any]:
    family = load_definition(loaded.activity.family, loaded.campaign.form_version)
    financial = _typed(loaded, "financier")
    return declaration_figures(
        family,
        loaded.activity.nature,
        [values for _, values in _typed(loaded, "activite")],
        financial[0][1] if financial else None,
    )


def field_labels(family: FamilyDefinition) -> dict[str, str]:
    return {field.id: field.label for form in family.forms.values() for field in form.fields.values()}


async def estimate_of(runtime: ServiceRuntime, loaded: Loaded, figures: dict[str, Any] | None = None) -> dict:
    d = loaded.declaration
    return await estimates.estimate(
        runtime,
        family=loaded.activity.family,
        nature=loaded.activity.nature,
        declaration_type=d.declaration_type,
        exercice=d.exercice,
        caf_code=d.caf_code,
        figures=figures if figures is not None else figures_of(loaded),
        labels=field_labels(load_definition(loaded.activity.family, loaded.campaign.form_version)),
        activity_id=d.activity_id,
    )


async def assess(runtime: ServiceRuntime, loaded: Loaded) -> Assessment:
    async with runtime.db.sessions() as session:
        previous, forecast = await _earlier_figures(session, loaded.declaration)
    figures = figures_of(loaded)
    estimate = await estimate_of(runtime, loaded, figures)
    rules = control_rules.load_controls(loaded.activity.family, loaded.campaign.form_version)
    results = control_rules.run_controls(
        rules,
        loaded.activity.nature,
        loaded.declaration.declaration_type,
        _typed(loaded, "activite"),
        next((values for _, values in _typed(loaded, "financier")), None),
        previous=previous,
        forecast=forecast,
        references=_references(estimate),
    )
    justifications = json.loads(loaded.declaration.justifications)
    return Assessment([_result_view(r, justifications) for r in results], figures, estimate)


def _result_view(result, justifications: dict[str, Any]) -> dict[str, Any]:
    key = control_rules.control_key(result)
    return {
        "cle": key,
        "id": result.control_id,
        "severite": result.severity,
        "statut": result.status,
        "formulaire": result.form,
        "lieu": result.site,
        "libelle": result.label,
        "message": result.message,
        "mesure": None if result.measured is None else format(result.measured, "f"),
        "seuil": None if result.threshold is None else format(result.threshold, "f"),
        "unite": result.unit,
        "champs": list(result.field_ids),
        "a_justifier": result.needs_justification,
        "justification": justifications.get(key) if result.needs_justification else None,
    }


def obstacles(loaded: Loaded, assessment: Assessment) -> list[str]:
    """What prevents transmission, in French and by name; empty when the declaration may be transmitted."""
    found = []
    unsaved = [f for f in loaded.forms if f.requested and f.version == 0]
    if unsaved:
        found.append("formulaires jamais enregistrés : " + ", ".join(_form_name(f) for f in unsaved))
    blocking = [r for r in assessment.results if r["statut"] == "anomalie" and r["severite"] == "blocking"]
    if blocking:
        found.append(f"{len(blocking)} anomalie(s) bloquante(s) à corriger : " + ", ".join(map(_named, blocking)))
    unjustified = [r for r in assessment.results if r["a_justifier"] and not r["justification"]]
    if unjustified:
        found.append(f"{len(unjustified)} anomalie(s) signalée(s) à justifier : " + ", ".join(map(_named, unjustified)))
    return found


def _named(result: dict[str, Any]) -> str:
    return f"« {result['libelle']} »" + (f" ({result['lieu']})" if result["lieu"] else "")


def _form_name(form: DeclarationForm) -> str:
    kind = "données d'activité" if form.kind == "activite" else "données financières"
    return kind + (f" ({form.site_name})" if form.site_name else "")


def justified_keys(loaded: Loaded, assessment: Assessment) -> list[str]:
    return [r["cle"] for r in assessment.results if r["a_justifier"] and r["justification"]]


def _view(loaded: Loaded, assessment: Assessment, who: Standing) -> dict[str, Any]:
    problems = obstacles(loaded, assessment)
    if who.full_view:
        visible, shown_problems, estimate = assessment.results, problems, assessment.estimate
    else:
        # A site's provider: the results of its own forms only (declaration-wide ones measure the whole budget),
        # what stands in their way, and no estimate
        visible = results_seen(loaded, assessment.results, who)
        own = Loaded(loaded.declaration, loaded.activity, loaded.campaign, [f for f in loaded.forms if who.sees(f)])
        shown_problems = obstacles(own, Assessment(visible, {}, {}))
        estimate = dict(ESTIMATE_OUT_OF_SCOPE)
    d = loaded.declaration
    return {
        "declaration_id": str(d.id),
        "etat": STATES[d.state],
        "controles": visible,
        "anomalies_bloquantes": sum(1 for r in visible if r["statut"] == "anomalie" and r["severite"] == "blocking"),
        "anomalies_a_justifier": sum(1 for r in visible if r["a_justifier"] and not r["justification"]),
        "transmissible": not problems,
        "obstacles": shown_problems,
        "estimation": estimate,
        "informations_complementaires": d.complement,
        "controle_le": d.controlled_at.astimezone(PARIS).isoformat(timespec="seconds") if d.controlled_at else None,
    }


def results_seen(loaded: Loaded, results: list[dict[str, Any]], who: Standing) -> list[dict[str, Any]]:
    """The control results the caller is shown: all of them with the full view, else those of its own forms."""
    if who.full_view:
        return results
    return [r for r in results if (form := _form_of(loaded, r)) is not None and who.sees(form)]


def _form_of(loaded: Loaded, result: dict[str, Any]) -> DeclarationForm | None:
    """The form a result was measured on; None for a declaration-wide result (aggregate figures)."""
    return next((f for f in loaded.forms if f.kind == result["formulaire"] and f.site_name == result["lieu"]), None)


async def run(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID) -> dict[str, Any]:
    """Run the controls now; a complete declaration with nothing blocking becomes « Contrôlée »."""
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
    who = await standing(runtime, caller, loaded.activity)
    require(who.partner_member, "Seuls les utilisateurs habilités sur cette activité contrôlent ses données.")
    if loaded.declaration.state not in CONTROLLABLE_STATES:
        raise Conflict("Cette déclaration a été transmise : ses contrôles sont figés.")
    assessment = await assess(runtime, loaded)
    blocking = sum(1 for r in assessment.results if r["statut"] == "anomalie" and r["severite"] == "blocking")
    flagged = sum(1 for r in assessment.results if r["a_justifier"])
    # « Contrôlée »: every requested form saved and nothing blocking; flags are justified afterwards
    ready = blocking == 0 and all(f.version > 0 for f in loaded.forms if f.requested)
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        declaration = await uow.session.get(Declaration, declaration_id, with_for_update=True)
        if declaration.state not in CONTROLLABLE_STATES:
            raise Conflict("Cette déclaration a été transmise : ses contrôles sont figés.")
        declaration.controls, declaration.controlled_at = json.dumps(assessment.results, ensure_ascii=False), now
        if ready:
            declaration.state = "controlee"
        elif declaration.state == "controlee":
            declaration.state = "en_revision" if declaration.version > 1 else "en_cours"
        uow.publish(
            DeclarationControlledV1(
                declaration_id=declaration.id,
                activity_id=declaration.activity_id,
                declaration_version=declaration.version,
                blocking=blocking,
                flagged=flagged,
                ready=ready,
            ),
            subject=str(declaration.id),
            aggregate_version=declaration.version * 10,
        )
    loaded.declaration = declaration
    return _view(loaded, assessment, who)


async def latest(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID) -> dict[str, Any]:
    """The controls as last run (frozen at transmission), without running them again."""
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
    who = await standing(runtime, caller, loaded.activity)
    require(who.sees_anything, "Cette déclaration n'est pas dans votre périmètre.")
    results = json.loads(loaded.declaration.controls)
    justifications = json.loads(loaded.declaration.justifications)
    for r in results:
        if r["a_justifier"]:
            r["justification"] = justifications.get(r["cle"], r.get("justification"))
    return _view(loaded, Assessment(results, {}, {"disponible": False, "message": "Lancez les contrôles."}), who)


async def estimate_for(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID) -> dict:
    """The estimate of the whole declaration: refused (403) to a provider granted some sites only."""
    loaded, who = await _seen_by(runtime, caller, declaration_id)
    require(who.full_view, WHOLE_BUDGET_REFUSED)
    return await estimate_of(runtime, loaded)


async def estimate_shown(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID) -> dict:
    """The estimate beside a saved form or on a page: to a site's provider, an unavailable estimate saying why."""
    loaded, who = await _seen_by(runtime, caller, declaration_id)
    return await estimate_of(runtime, loaded) if who.full_view else dict(ESTIMATE_OUT_OF_SCOPE)


async def _seen_by(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID):
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
    who = await standing(runtime, caller, loaded.activity)
    require(who.sees_anything, "Cette déclaration n'est pas dans votre périmètre.")
    return loaded, who
