"""Before transmission: the coherence controls (blocking and flagged) run on the stored forms, what stands in the
way of transmission, and the estimate. The approbateur's answers to them are in ``approbateur_actions``.

The controls are data (``domain/controls``); here they meet the stored forms, the activity's earlier
transmitted declarations (variation, forecast/actual gap) and the ceilings the estimate used.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from afas_declaration.adapters import declaration_store
from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, DeclarationForm, Transmission
from afas_declaration.application import declaration_scope, estimates
from afas_declaration.application.actors import actor_of
from afas_declaration.application.declaration_scope import Loaded, load
from afas_declaration.application.permissions import WHOLE_BUDGET_REFUSED, require, standing_in
from afas_declaration.domain import controls as control_rules
from afas_declaration.domain import declaration as aggregate
from afas_declaration.domain import declaration_parts as parts
from afas_declaration.domain import lifecycle
from afas_declaration.domain.access_policy import Standing
from afas_declaration.domain.figures import declaration_figures
from afas_declaration.domain.forms import FamilyDefinition, load_definition
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import PARIS, paris_today
from afas_shared.contracts.declaration_states import label_of
from afas_shared.runtime import ServiceRuntime

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


Earlier = tuple[dict | None, dict | None]


async def earlier_figures(session, declaration: Declaration) -> Earlier:
    """Figures of the same declaration of the previous exercice (a réelle against last year's réelle: another
    type would cover another period), and of this exercice's forecast; each from its latest transmitted version.

    Read as plain columns: the transmissions' rows also hold their PDF receipts, which nothing here needs."""
    rows = (
        await session.execute(
            sa.select(
                col(Declaration.id),
                col(Declaration.exercice),
                col(Declaration.declaration_type),
                col(Transmission.snapshot),
            )
            .join(Transmission, col(Transmission.declaration_id) == col(Declaration.id))
            .where(col(Declaration.activity_id) == declaration.activity_id, col(Declaration.id) != declaration.id)
            .order_by(col(Transmission.version))
        )
    ).all()
    latest = {row.id: row for row in rows}  # ordered by version: the last one of each declaration stays
    previous = None
    for row in latest.values():
        if row.exercice == declaration.exercice - 1 and row.declaration_type == declaration.declaration_type:
            previous = json.loads(row.snapshot).get("chiffres")
    forecast = None
    if declaration.declaration_type != "previsionnelle":
        for row in latest.values():
            if row.exercice == declaration.exercice and row.declaration_type == "previsionnelle":
                forecast = json.loads(row.snapshot).get("chiffres")
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


def values_of(form: DeclarationForm | parts.Form) -> dict[str, Any]:
    """What a form holds: stored as JSON in its row, as a mapping in the aggregate."""
    return form.values if isinstance(form.values, dict) else json.loads(form.values)


def _typed(
    activity: ActivityCopy, campaign: Campaign, forms: Sequence[DeclarationForm | parts.Form], kind: str
) -> list[tuple[str | None, dict[str, Any]]]:
    """What was typed in each requested form of ``kind`` (stored values also hold the computed fields)."""
    definition = load_definition(activity.family, campaign.form_version).forms[kind]
    return [
        (
            form.site_name,
            {
                k: v
                for k, v in values_of(form).items()
                if k in definition.fields and not definition.fields[k].is_computed
            },
        )
        for form in forms
        if form.kind == kind and form.requested
    ]


def figures_from(
    activity: ActivityCopy, campaign: Campaign, forms: Sequence[DeclarationForm | parts.Form]
) -> dict[str, Any]:
    """The declaration's aggregate figures (activity summed over sites, financial data) from its forms."""
    family = load_definition(activity.family, campaign.form_version)
    financial = _typed(activity, campaign, forms, "financier")
    return declaration_figures(
        family,
        activity.nature,
        [values for _, values in _typed(activity, campaign, forms, "activite")],
        financial[0][1] if financial else None,
    )


def figures_of(loaded: Loaded) -> dict[str, Any]:
    return figures_from(loaded.activity, loaded.campaign, loaded.forms)


def field_labels(family: FamilyDefinition) -> dict[str, str]:
    return {field.id: field.label for form in family.forms.values() for field in form.fields.values()}


async def estimate_of(runtime: ServiceRuntime, loaded: Loaded, figures: dict[str, Any] | None = None) -> dict:
    return await _estimate(runtime, loaded.declaration, loaded.activity, loaded.campaign, figures, loaded.forms)


async def estimate_beside(
    runtime: ServiceRuntime,
    who: Standing,
    declaration: aggregate.Declaration,
    activity: ActivityCopy,
    campaign: Campaign,
) -> dict:
    """The estimate beside a form just saved, from the aggregate the save wrote (no second read of it); to a site's
    provider, an unavailable estimate saying why."""
    if not who.full_view:
        return dict(ESTIMATE_OUT_OF_SCOPE)
    return await _estimate(runtime, declaration, activity, campaign, None, declaration.forms)


async def _estimate(
    runtime: ServiceRuntime,
    d: Declaration | aggregate.Declaration,
    activity: ActivityCopy,
    campaign: Campaign,
    figures: dict[str, Any] | None,
    forms: Sequence[DeclarationForm | parts.Form],
) -> dict:
    return await estimates.estimate(
        runtime,
        family=activity.family,
        nature=activity.nature,
        declaration_type=d.declaration_type,
        exercice=d.exercice,
        caf_code=d.caf_code,
        figures=figures if figures is not None else figures_from(activity, campaign, forms),
        labels=field_labels(load_definition(activity.family, campaign.form_version)),
        activity_id=d.activity_id,
    )


async def assess(runtime: ServiceRuntime, loaded: Loaded, earlier: Earlier) -> Assessment:
    """The controls and the estimate of ``loaded``; ``earlier`` (``earlier_figures``) read in the same session."""
    previous, forecast = earlier
    figures = figures_of(loaded)
    estimate = await estimate_of(runtime, loaded, figures)
    rules = control_rules.load_controls(loaded.activity.family, loaded.campaign.form_version)
    results = control_rules.run_controls(
        rules,
        loaded.activity.nature,
        loaded.declaration.declaration_type,
        _typed(loaded.activity, loaded.campaign, loaded.forms, "activite"),
        next((values for _, values in _typed(loaded.activity, loaded.campaign, loaded.forms, "financier")), None),
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
    return parts.obstacles(loaded.forms, assessment.results)


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
        "etat": label_of(d.state),
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
    """Run the controls now; a complete declaration with nothing blocking becomes « Contrôlée ».

    One unit of work from the first read (issue 16): the declaration and its forms are read locked, checked, run
    through the controls and changed on the same rows — where a session of reads then a unit of work read them
    twice. The estimate is asked with the lock held: only this declaration's writers wait for it."""
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        session = uow.session
        loaded = await load(session, declaration_id, for_update=True, rights_of=(caller, paris_today(now)))
        who = loaded.standing()
        actor = actor_of(caller, who)
        declaration = await declaration_store.assembled(session, loaded.declaration, loaded.activity, loaded.forms)
        declaration.authorize(actor, lifecycle.Transition.control)
        declaration.require_state(lifecycle.Transition.control)
        earlier = await earlier_figures(session, loaded.declaration)
        assessment = await assess(runtime, loaded, earlier)
        declaration.control(actor, assessment.results, now)
        await declaration_store.save(uow, declaration)
    return _view(loaded, assessment, who)


async def latest(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID) -> dict[str, Any]:
    """The controls as last run (frozen at transmission), without running them again."""
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
        who = await standing_in(session, runtime, caller, loaded.activity)
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
    today = paris_today(runtime.clock.now())
    # Reads only: on PostgreSQL in autocommit, without the BEGIN and ROLLBACK round trips around its two statements
    async with declaration_scope.read_session(runtime.db) as session:
        loaded = await load(session, declaration_id, rights_of=(caller, today))
        who = loaded.standing()
    require(who.sees_anything, "Cette déclaration n'est pas dans votre périmètre.")
    return loaded, who
