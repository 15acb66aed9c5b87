""" "Mes déclarations": the declarations a user takes part in, with each form's state, the next actions its
roles allow, the filters of the seed screen, the home page's count and each activity's history."""

from __future__ import annotations

import functools
import uuid
from collections import namedtuple
from dataclasses import dataclass, fields
from typing import Any

import orjson
import sqlalchemy as sa

from afas_declaration.adapters.tables import Transmission
from afas_declaration.application.actors import actor_of
from afas_declaration.application.campaigns import DECLARATION_TYPES, check_exercice
from afas_declaration.application.declaration_scope import read_connection
from afas_declaration.application.errors import Forbidden, Invalid, NotFound
from afas_declaration.application.keyset import (
    PageRequest,
    decode,
    page_size,
    reply,
    window,
)
from afas_declaration.application.list_statements import (
    KEYS,
    LIST_NAME,
    page_statements,
    parameters,
    shape_of,
    whole_list,
)
from afas_declaration.application.list_totals import ListTotals
from afas_declaration.application.permissions import access_from_lines, access_of
from afas_declaration.domain import lifecycle
from afas_declaration.domain.access_policy import Access, Action, Standing
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.declaration_states import STATE_CODES, DeclarationState
from afas_shared.french_plural import counted
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


async def page_of(
    runtime: ServiceRuntime,
    caller: ForwardedCaller,
    filters: Filters | None = None,
    request: PageRequest | None = None,
) -> dict[str, Any]:
    """One page of « Mes déclarations » in one SQL query: its rows, their forms, the total, the page's rank and, for a
    partner's user, its lines acting on each row's activity (what it may do on the rows shown, at a cost that does
    not grow with the number of activities it is granted on)."""
    filters = _checked(filters)
    request = request or PageRequest()
    size = page_size(request, runtime.settings.list_page_size, runtime.settings.list_page_max)
    at = decode(LIST_NAME, request.curseur, KEYS)
    today = paris_today(runtime.clock.now())
    shape = shape_of(_scope(caller), filters, at)
    statements = page_statements(shape)
    values = parameters(caller, today, filters, at, size)
    # A Caf's (or the operator's) first page reuses a total counted a few seconds ago (list_totals), a partner's never
    totals, key = _totals(runtime), (shape, caller.caf_code, *(getattr(filters, f.name) for f in fields(filters)))
    kept = totals.get(key) if shape.scope != "partner" and shape.cursor is None else None
    # a plain connection, autocommit on PostgreSQL: no BEGIN, no ROLLBACK, no ORM session around Core rows
    async with read_connection(runtime.db) as connection:
        rows = _grouped(await connection.execute(statements.page if kept is None else statements.uncounted, values))
        if rows:
            total_count, preceding_count = rows[0].row.total, rows[0].row.precedent
        else:  # nothing on this page: the list's total still answers
            total_count, preceding_count = (await connection.execute(statements.counted, values)).scalar_one(), 0
    page = window(rows, KEYS, at, size, preceding_count)
    approximate = False
    if kept is None and shape.scope != "partner" and shape.cursor is None:
        totals.keep(key, total_count)
    elif kept is not None:  # a list that fits in its first page counts itself; a longer one says « environ »
        total_count, approximate = (kept, True) if page.next_key is not None else (len(page.rows), False)
    # a partner's page carried its lines acting on each row's activity: its rights with no other read
    access = access_from_lines(caller, {r.activity_id: getattr(r.row, "lines", None) for r in page.rows})
    offered: dict[tuple[Any, ...], list[dict[str, str]]] = {}  # a page's rows share a few standings and states
    elements = [_shaped(caller, access, declared, offered) for declared in page.rows]
    return reply(LIST_NAME, page, elements, total_count) | {"total_approche": approximate}


def _totals(runtime: ServiceRuntime) -> ListTotals:
    totals = runtime.state.get("list_totals")
    if totals is None:
        totals = runtime.state["list_totals"] = ListTotals(runtime.settings.list_total_cache_seconds)
    return totals


async def visible_to(
    runtime: ServiceRuntime, caller: ForwardedCaller, filters: Filters | None = None
) -> list[dict[str, Any]]:
    """Every declaration the caller may see, in the list's order: for the views bounded by their filter (one
    activity's history, the partner's own payments); a list shown to a user is read by ``page_of``."""
    filters = _checked(filters)
    today = paris_today(runtime.clock.now())
    statement = whole_list(shape_of(_scope(caller), filters))
    async with runtime.db.sessions() as session:
        access = await access_of(session, caller, today)  # every row: every line
        rows = _grouped(await session.execute(statement, parameters(caller, today, filters)))
    offered: dict[tuple[Any, ...], list[dict[str, str]]] = {}
    return [_shaped(caller, access, declared, offered) for declared in rows]


def _checked(filters: Filters | None) -> Filters:
    filters = filters or Filters()
    if filters.etat is not None and filters.etat not in STATE_CODES:
        raise Invalid(f"État inconnu : {filters.etat}.", "etat")
    if filters.type_declaration is not None and filters.type_declaration not in DECLARATION_TYPES:
        raise Invalid(f"Type de déclaration inconnu : {filters.type_declaration}.", "type_declaration")
    check_exercice(filters.exercice)
    return filters


def _grouped(result: Any) -> list[_Declared]:
    """The list statement's rows (one per declaration and form) grouped by declaration, in their order.

    Each row is copied once into a plain named tuple of its columns: a page's shaping reads some fifty columns per
    declaration, and a SQLAlchemy row's attribute costs twenty times a named tuple's (0.29 against 0.014 µs here)."""
    plain = _plain_row(tuple(result.keys()))
    grouped: dict[uuid.UUID, _Declared] = {}
    for row in map(plain._make, result.all()):
        declared = grouped.setdefault(row.id, _Declared(row))
        if row.form_id is not None:
            declared.forms.append(row)
    return list(grouped.values())


@functools.lru_cache(maxsize=64)
def _plain_row(columns: tuple[str, ...]) -> Any:
    """A named tuple class for the list statement's columns (one per statement shape's columns)."""
    return namedtuple("ListRow", columns)  # its fields are the statement's, known when it runs


class _Declared:
    """A declaration row of the list and its forms, its key's labels as attributes (what ``window`` reads)."""

    def __init__(self, row: Any) -> None:
        self.row = row
        self.forms: list[Any] = []
        self.id, self.exercice, self.activite = row.id, row.exercice, row.activite
        self.activity_id, self.caf_code = row.activity_id, row.caf_code


def _scope(caller: ForwardedCaller) -> str:
    """Whose declarations the caller sees (``list_statements``' scopes) — a partner's user only its activities'.
    No read: what it may do on the rows is asked of its grant lines once the rows are known."""
    if caller.kind == "caf":
        return "caf"
    if caller.kind == "partner" and caller.user_id:
        return "partner"
    if caller.kind != "operator":
        raise Forbidden("Liste réservée aux utilisateurs habilités.")
    return "operator"


def _shaped(
    caller: ForwardedCaller,
    access: Access,
    declared: _Declared,
    offered: dict[tuple[Any, ...], list[dict[str, str]]] | None = None,
) -> dict[str, Any]:
    """A row as the list shows it. ``offered``: the actions already worked out on this page, by what decides them
    (the caller's standing, the state, the forms asked for, a receipt) — asked of the lifecycle once per kind of row,
    not for each of a page's rows (a third of a 50-row page's CPU)."""
    d, forms = declared.row, declared.forms
    who, transmitted = access.on(declared), bool(d.transmitted)
    if offered is None:
        return _row(d, forms, _actions(caller, who, d, forms, transmitted))
    key = (who, d.state, frozenset(f.form_kind for f in forms if f.form_requested), transmitted)
    actions = offered.get(key)
    if actions is None:
        actions = offered[key] = _actions(caller, who, d, forms, transmitted)
    return _row(d, forms, list(actions))


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
        "etat": STATES.get(d.state, d.state),
        "etat_code": d.state,
        "version": d.version,
        "motif_refus": d.refusal_reason if d.state in lifecycle.REVISING else None,
        "formulaires": [
            {
                "id": str(f.form_id),
                "type": "Données d'activité" if f.form_kind == "activite" else "Données financières",
                "lieu": f.form_site,
                "etat": STATES.get(f.form_state, f.form_state) if f.form_requested else "Non demandé",
            }
            for f in sorted(forms, key=lambda f: (f.form_kind, f.form_site or ""))
        ],
        "lieux": [s["name"] for s in orjson.loads(d.sites)],
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
    message = (
        f"Vous avez {counted(count, 'déclaration')} à saisir" if count else "Vous n'avez aucune déclaration à saisir"
    )
    return {"nombre": count, "message": message}


async def _none_after_check(runtime: ServiceRuntime, caller: ForwardedCaller) -> list[dict[str, Any]]:
    _scope(caller)  # the same refusal as the list's
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
