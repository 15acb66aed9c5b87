""" "Mes déclarations": the declarations a user takes part in, with each form's state, the next actions its
roles allow, the filters of the seed screen, the home page's count and each activity's history."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Declaration, DeclarationForm, GrantLine, Transmission
from afas_declaration.application.actors import actor_of
from afas_declaration.application.campaigns import DECLARATION_TYPES, check_exercice
from afas_declaration.application.declaration_scope import read_session
from afas_declaration.application.errors import Forbidden, Invalid, NotFound
from afas_declaration.application.keyset import (
    PageRequest,
    Position,
    SortKey,
    as_int,
    as_str,
    as_uuid,
    counts,
    decode,
    ordering,
    page_size,
    paged,
    reply,
    window,
)
from afas_declaration.application.permissions import access_of, access_on_activities
from afas_declaration.domain import lifecycle
from afas_declaration.domain.access_policy import Access, Action, Standing
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.declaration_states import STATE_CODES, DeclarationState, label_of
from afas_shared.read_models.grant_terms import acting_clause
from afas_shared.runtime import ServiceRuntime

# code → French label, in the order the screens list them (the filter of « Mes déclarations »)
STATES = {state.value: state.label for state in DeclarationState}
ACTION_LABELS = {
    "consulter": "Consulter",
    "saisir_activite": "Saisir les données d'activité",
    "saisir_financier": "Saisir les données financières",
    "controler": "Contrôler ses données avant envoi",
    "transmettre": "Transmettre ses données",
    "reviser": "Réviser les données suite refus Caf",
    "telecharger_accuse": "Télécharger l'accusé de réception",
    "valider": "Valider la déclaration",
    "refuser": "Refuser la déclaration",
    "annuler": "Annuler la déclaration",
}


@dataclass(frozen=True)
class Filters:
    type_declaration: str | None = None
    exercice: int | None = None
    etat: str | None = None
    activite: uuid.UUID | None = None
    type_activite: str | None = None
    nature: str | None = None


_TABLES: dict[str, sa.Table] = {
    "declaration": Declaration.__table__,  # type: ignore[attr-defined]
    "activity": ActivityCopy.__table__,  # type: ignore[attr-defined]
    "form": DeclarationForm.__table__,  # type: ignore[attr-defined]
    "transmission": Transmission.__table__,  # type: ignore[attr-defined]
}
LIST_NAME = "declarations"
# The list's order: the latest exercice first, then by activity; the declaration's id makes the key unique. All
# three are the declaration's own columns (the activity's name is copied onto it): a Caf's first page is a range of
# the index (caf_code, exercice DESC, activity_name, id) that stops after the page, never a sort of the Caf's rows.
KEYS = (
    SortKey(Declaration.exercice, "exercice", as_int, descending=True),
    SortKey(Declaration.activity_name, "activite", as_str),
    SortKey(Declaration.id, "id", as_uuid),
)


async def page_of(
    runtime: ServiceRuntime,
    caller: ForwardedCaller,
    filters: Filters | None = None,
    request: PageRequest | None = None,
) -> dict[str, Any]:
    """One page of « Mes déclarations » in one SQL query (rows, their forms, the total and the page's rank), then
    the caller's grant lines on the page's activities only (a partner's user): what it may do on the rows shown,
    at a cost that does not grow with the number of activities it is granted on."""
    where, joins_activity = _where(runtime, caller, filters)
    request = request or PageRequest()
    size = page_size(request, runtime.settings.list_page_size, runtime.settings.list_page_max)
    at = decode(LIST_NAME, request.curseur, KEYS)
    counted, selected = _page_query(where, joins_activity, at, size)
    async with read_session(runtime.db) as session:  # autocommit on PostgreSQL: no BEGIN, no ROLLBACK
        rows = await _with_forms(session, selected, at.backward)
        if rows:
            total_count, preceding_count = rows[0].row.total, rows[0].row.precedent
        else:  # nothing on this page: the list's total still answers
            total_count, preceding_count = (await session.execute(counted)).scalar_one(), 0
        page = window(rows, KEYS, at, size, preceding_count)
        today = paris_today(runtime.clock.now())
        access = await access_on_activities(session, caller, today, {r.activity_id for r in page.rows})
    elements = [_shaped(caller, access, declared) for declared in page.rows]
    return reply(LIST_NAME, page, elements, total_count)


async def visible_to(
    runtime: ServiceRuntime, caller: ForwardedCaller, filters: Filters | None = None
) -> list[dict[str, Any]]:
    """Every declaration the caller may see, in the list's order: for the views bounded by their filter (one
    activity's history, the partner's own payments); a list shown to a user is read by ``page_of``."""
    where, joins_activity = _where(runtime, caller, filters)
    async with runtime.db.sessions() as session:
        access = await access_of(session, caller, paris_today(runtime.clock.now()))  # every row: every line
        rows = await _with_forms(session, _columns(joins_activity).where(*where).order_by(*ordering(KEYS)), False)
    return [_shaped(caller, access, declared) for declared in rows]


def _checked(filters: Filters | None) -> Filters:
    filters = filters or Filters()
    if filters.etat is not None and filters.etat not in STATE_CODES:
        raise Invalid(f"État inconnu : {filters.etat}.", "etat")
    if filters.type_declaration is not None and filters.type_declaration not in DECLARATION_TYPES:
        raise Invalid(f"Type de déclaration inconnu : {filters.type_declaration}.", "type_declaration")
    check_exercice(filters.exercice)
    return filters


def _where(runtime: ServiceRuntime, caller: ForwardedCaller, filters: Filters | None) -> tuple[list[Any], bool]:
    """The caller's scope and its filters as WHERE clauses; whether they need the activity's columns."""
    filters = _checked(filters)
    where = _scope(runtime, caller)
    activity_filters = ((ActivityCopy.family, filters.type_activite), (ActivityCopy.nature, filters.nature))
    for column, value in (
        (Declaration.declaration_type, filters.type_declaration),
        (Declaration.exercice, filters.exercice),
        (Declaration.state, filters.etat),
        (Declaration.activity_id, filters.activite),
        *activity_filters,
    ):
        if value is not None:
            where.append(column == value)
    return where, any(value is not None for _, value in activity_filters)


def _source(joins_activity: bool = True) -> Any:
    if not joins_activity:
        return Declaration
    return sa.join(Declaration, ActivityCopy, ActivityCopy.activity_id == Declaration.activity_id)


def _page_query(where: list[Any], joins_activity: bool, at: Position, size: int) -> tuple[sa.Select, sa.Select]:
    """The list's count, and its page's keys with the total and the page's rank (``_with_forms`` reads the rest)."""
    counted = sa.select(sa.func.count()).select_from(_source(joins_activity)).where(*where)
    total, preceding = counts(counted, KEYS, at)
    columns = _columns(joins_activity).add_columns(total.label("total"), preceding.label("precedent"))
    return counted, paged(columns.where(*where), KEYS, at, size)


def _columns(joins_activity: bool = False) -> sa.Select:
    """A row of the list as it is ordered and cut: its key only (read from the key's index; the rest is read for
    the page's rows); the activity joined only when a filter names its columns."""
    return sa.select(
        Declaration.id.label("id"), Declaration.exercice.label("exercice"), Declaration.activity_name.label("activite")
    ).select_from(_source(joins_activity))


async def _with_forms(session, selected: sa.Select, backward: bool) -> list[_Declared]:
    """The rows of ``selected`` with what the list shows of them and their forms, in one statement: the page cut in a
    subquery on the key's columns, the shown columns and the forms joined outside it (a LIMIT on declarations, not
    on declaration × form, and asked of the page's rows only)."""
    page = selected.subquery()
    # Core aliases of the tables, not ORM ``aliased()`` entities: adapting an ORM alias's attributes cost a quarter of
    # the list's CPU (profiled under bench-reads), and the rows read are plain rows either way
    declaration, activity = _TABLES["declaration"].alias("shown"), _TABLES["activity"].alias("shown_activity")
    form, transmission = _TABLES["form"], _TABLES["transmission"]
    statement = (
        sa.select(
            page,
            declaration.c.declaration_type,
            declaration.c.state,
            declaration.c.version,
            declaration.c.refusal_reason,
            declaration.c.caf_code,
            declaration.c.activity_id,
            activity.c.family,
            activity.c.nature,
            activity.c.sites,
            sa.exists().where(transmission.c.declaration_id == page.c.id).label("transmitted"),
            form.c.id.label("form_id"),
            form.c.kind.label("form_kind"),
            form.c.site_name.label("form_site"),
            form.c.requested.label("form_requested"),
            form.c.state.label("form_state"),
        )
        .select_from(
            page.join(declaration, declaration.c.id == page.c.id)
            .join(activity, activity.c.activity_id == declaration.c.activity_id)
            .outerjoin(form, form.c.declaration_id == page.c.id)
        )
        .order_by(*ordering(KEYS, backward=backward, source=page), form.c.kind, form.c.site_name)
    )
    grouped: dict[uuid.UUID, _Declared] = {}
    for row in (await session.execute(statement)).all():
        declared = grouped.setdefault(row.id, _Declared(row))
        if row.form_id is not None:
            declared.forms.append(row)
    return list(grouped.values())


class _Declared:
    """A declaration row of the list and its forms, its key's labels as attributes (what ``window`` reads)."""

    def __init__(self, row: Any) -> None:
        self.row = row
        self.forms: list[Any] = []
        self.id, self.exercice, self.activite = row.id, row.exercice, row.activite
        self.activity_id, self.caf_code = row.activity_id, row.caf_code


def _scope(runtime: ServiceRuntime, caller: ForwardedCaller) -> list[Any]:
    """The declarations the caller may see, as WHERE clauses — a partner's user only its activities' ones. No
    read: what it may do on the rows is asked of its grant lines once the rows are known."""
    if caller.kind == "caf":
        return [Declaration.caf_code == caller.caf_code]
    if caller.kind == "partner" and caller.user_id:
        today = paris_today(runtime.clock.now())
        # The activities it acts on as a subquery, not as one parameter per activity: a partner's administrator may
        # act on thousands, and a statement with thousands of parameters is parsed again on every call.
        acting = sa.select(GrantLine.activity_id).where(
            GrantLine.user_id == caller.user_id, acting_clause(GrantLine, today)
        )
        return [Declaration.activity_id.in_(acting)]
    if caller.kind != "operator":
        raise Forbidden("Liste réservée aux utilisateurs habilités.")
    return []


def _shaped(caller: ForwardedCaller, access: Access, declared: _Declared) -> dict[str, Any]:
    d, forms = declared.row, declared.forms
    return _row(d, forms, _actions(caller, access.on(declared), d, forms, bool(d.transmitted)))


def _actions(
    caller: ForwardedCaller, who: Standing, d: Any, forms: list[Any], transmitted: bool
) -> list[dict[str, str]]:
    names = ["consulter"]
    # The transitions' own rule (who, from which state), as the declaration's page asks it
    actor, state = actor_of(caller, who), DeclarationState(d.state)
    if lifecycle.allows(actor, lifecycle.Transition.control, state):
        kinds = {f.form_kind for f in forms if f.form_requested}
        if d.state in lifecycle.REVISING:
            names.append("reviser")
        if "activite" in kinds and who.offers(Action.saisir_activite):
            names.append("saisir_activite")
        if "financier" in kinds and who.offers(Action.saisir_financier):
            names.append("saisir_financier")
        names.append("controler")
        if lifecycle.allows(actor, lifecycle.Transition.transmit, state):
            names.append("transmettre")
    # The receipt holds the whole declaration: not offered to a provider granted some sites only
    if transmitted and (caller.kind != "partner" or who.full_view):
        names.append("telecharger_accuse")
    names += [
        name
        for name, transition in (
            ("valider", lifecycle.Transition.validate),
            ("refuser", lifecycle.Transition.refuse),
            ("annuler", lifecycle.Transition.cancel),
        )
        if lifecycle.allows(actor, transition, state)
    ]
    return [{"action": name, "libelle": ACTION_LABELS[name]} for name in names]


def _row(d: Any, forms: list[Any], actions: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "exercice": d.exercice,
        "type_declaration": DECLARATION_TYPES[d.declaration_type],
        "type_declaration_code": d.declaration_type,
        "activite_id": str(d.activity_id),
        "activite": d.activite,
        "type_activite": d.family,
        "nature": d.nature,
        "etat": label_of(d.state),
        "etat_code": d.state,
        "version": d.version,
        "motif_refus": d.refusal_reason if d.state in lifecycle.REVISING else None,
        "formulaires": [
            {
                "id": str(f.form_id),
                "type": "Données d'activité" if f.form_kind == "activite" else "Données financières",
                "lieu": f.form_site,
                "etat": label_of(f.form_state) if f.form_requested else "Non demandé",
            }
            for f in sorted(forms, key=lambda f: (f.form_kind, f.form_site or ""))
        ],
        "lieux": [s["name"] for s in json.loads(d.sites)],
        "actions": actions,
    }


async def awaiting_input(runtime: ServiceRuntime, caller: ForwardedCaller) -> dict[str, Any]:
    """The home page's alert: how many of the caller's declarations still await its input (a partner's only: the
    others are offered none, and a Caf's whole list is never read for it)."""
    rows = await visible_to(runtime, caller) if caller.kind == "partner" else await _none_after_check(runtime, caller)
    count = sum(
        1
        for row in rows
        if row["etat_code"] in lifecycle.AWAITING_INPUT
        and any(a["action"] in ("saisir_activite", "saisir_financier", "reviser") for a in row["actions"])
    )
    plural = "s" if count > 1 else ""
    message = f"Vous avez {count} déclaration{plural} à saisir" if count else "Vous n'avez aucune déclaration à saisir"
    return {"nombre": count, "message": message}


async def _none_after_check(runtime: ServiceRuntime, caller: ForwardedCaller) -> list[dict[str, Any]]:
    _scope(runtime, caller)  # the same refusal as the list's
    return []


async def activity_history(
    runtime: ServiceRuntime, caller: ForwardedCaller, activity_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Every declaration of one activity, oldest exercice first, with its transmitted versions."""
    rows = await visible_to(runtime, caller, Filters(activite=activity_id))
    if not rows:
        raise NotFound("Aucune déclaration de cette activité dans votre périmètre.")
    # the versions' columns shown, never their snapshot or receipt
    versions = sa.select(
        Transmission.declaration_id,
        Transmission.version,
        Transmission.transmitted_at,
        Transmission.signer_name,
        Transmission.hash,
        Transmission.decision,
        Transmission.decision_reason,
    )
    async with runtime.db.sessions() as session:
        transmissions = (
            await session.execute(
                versions.where(Transmission.declaration_id.in_([uuid.UUID(r["id"]) for r in rows])).order_by(
                    Transmission.version
                )
            )
        ).all()
    order = ("previsionnelle", "actualisee_juin", "actualisee_septembre", "reelle")
    rows.sort(key=lambda r: (r["exercice"], order.index(r["type_declaration_code"])))
    for row in rows:
        row["versions"] = [
            {
                "version": t.version,
                "transmise_le": t.transmitted_at.isoformat(),
                "signataire": t.signer_name,
                "hash": t.hash,
                "decision_caf": t.decision,
                "motif": t.decision_reason,
                "accuse_reception": f"/api/v1/declarations/{row['id']}/versions/{t.version}/accuse.pdf",
            }
            for t in transmissions
            if str(t.declaration_id) == row["id"]
        ]
    return rows
