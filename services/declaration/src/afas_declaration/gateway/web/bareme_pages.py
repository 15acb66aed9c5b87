"""Barèmes for Caf agents: the page of each parameter's dated values with their provenance, the history of changes,
and, on the same page, the Caf's local rules (``local_rule_pages``); a new national value for the Cnaf's national
paramétrage agents (versioned and audited by estimation, which re-estimates the open declarations of every Caf). A
form is offered only to whom estimation would accept it from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from afas_declaration.application import declaration_list
from afas_declaration.application.campaigns import FAMILIES
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.clients.typed_calls import ask
from afas_declaration.gateway.web.caf_common import FAMILY_LABELS
from afas_declaration.gateway.web.declaration_pages import errors_of, failure_page
from afas_declaration.gateway.web.pages import Viewer, check_csrf, french_number, redirect, render
from afas_shared.auth.caller import forwarded_caller
from afas_shared.cafs import NATIONAL_CODE, caf_name
from afas_shared.runtime import ServiceRuntime

PROVENANCE_FIELDS = {
    "provenance_titre": "le titre du document",
    "provenance_emetteur": "son émetteur",
    "provenance_date": "sa date",
    "provenance_reference": "sa référence ou son adresse",
}
FORM_FIELDS = ("parametre", "nature", "applicable_depuis", "valeur", *PROVENANCE_FIELDS, "provenance_note", "motif")
NATIONAL_ONLY = (
    "Les barèmes nationaux (taux, prix plafonds, bonus) sont fixés par la Cnaf (paramétrage national). Une Caf ne "
    "modifie que ses règles locales, dont sa politique de versement."
)
# the API's field (estimation's contract) → the page's input, so each error links to the input to correct
PAGE_FIELDS = {"provenance": "provenance_titre", "politique": "politique", "motif": "motif"}


def caf_of(me: Viewer) -> str | None:
    return me.caller.claims.get("caf_code") if me.is_caf else None


async def ask_estimation(runtime: ServiceRuntime, verb: str, me: Viewer, **fields: Any) -> Any:
    """``verb``'s request from the page's values, named as the API names them; a value refused is the 422."""
    return await ask(runtime, "estimation", verb, me.caller, **fields)


async def _territories(runtime: ServiceRuntime, me: Viewer, caf: str) -> dict[str, Any]:
    """The Caf's territories (estimation) with its EAJE-PSU activities named (declaration's own list)."""
    found = await ask_estimation(runtime, "territories", me, caf=caf)
    rows = await call_local(
        declaration_list.visible_to(
            runtime, forwarded_caller(me.caller.rpc()), declaration_list.Filters(type_activite="eaje_psu")
        )
    )
    names = {r["activite_id"]: r["activite"] for r in rows}
    by_code = {t["code"]: t["nom"] for t in found["territoires"]}
    activities = [
        {
            **a,
            "nom": names.get(a["activite_id"], "Activité sans nom connu"),
            "territoire_nom": by_code.get(a["territoire"] or "", ""),
        }
        for a in found["activites"]
    ]
    territories = [
        {**t, "activites_noms": sorted(names.get(a, "Activité sans nom connu") for a in t["activites"])}
        for t in found["territoires"]
    ]
    return {**found, "territoires": territories, "activites": sorted(activities, key=lambda a: a["nom"])}


def _page_errors(refusal: HTTPException, fields: dict[str, str]) -> list[dict[str, Any]]:
    return [{**e, "champ": fields.get(e["champ"], e["champ"]) if e["champ"] else None} for e in errors_of(refusal)]


def _provenance_problems(submitted: dict[str, str]) -> list[dict[str, Any]]:
    problems = [
        {"champ": name, "message": f"Provenance : indiquez {what}."}
        for name, what in PROVENANCE_FIELDS.items()
        if not submitted[name]
    ]
    if submitted["provenance_date"]:
        try:
            date.fromisoformat(submitted["provenance_date"])
        except ValueError:
            problems.append(
                {"champ": "provenance_date", "message": "Provenance : date invalide, utilisez le format AAAA-MM-JJ."}
            )
    return problems


def _value(text: str | None, unit: str = "") -> str | None:
    """A stored value as the Caf agent reads it: in its unit (a ratio ``/1`` as a percentage, euros to the cent)."""
    if text in ("true", "false"):
        return "oui" if text == "true" else "non"
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if unit == "/1":
        return f"{french_number(number * 100)}\u00a0%"
    if unit.startswith("€"):
        return f"{french_number(number, 2)}\u00a0{unit}"
    return f"{french_number(number)}\u00a0{unit}" if unit else french_number(number)


def _history(bareme: dict[str, Any]) -> list[dict[str, Any]]:
    """The history of changes with labels instead of parameter and nature codes, values in French."""
    labels = {p["nom"]: p["libelle"] for p in bareme.get("parametres", [])}
    units = {p["nom"]: p.get("unite") or "" for p in bareme.get("parametres", [])}
    natures = bareme.get("natures") or {}
    return [
        {
            **h,
            "parametre_libelle": labels.get(h["parametre"], "Paramètre retiré du barème"),
            "nature_libelle": natures.get(h["nature"], "une nature") if h.get("nature") else "",
            "ancienne": _value(h.get("ancienne_valeur"), units.get(h["parametre"], "")) or "—",
            "nouvelle": _value(h.get("nouvelle_valeur"), units.get(h["parametre"], "")),
        }
        for h in bareme.get("historique", [])
    ]


def _unsourced_text(value: dict[str, Any]) -> str:
    """The provenance text of a value, without the « non sourcé » the page already shows as a label."""
    text = value.get("provenance") or ""
    if not value.get("source") and text.lower().startswith("non sourcé"):
        text = text[len("non sourcé") :].lstrip(" —-:,")
    return text


def _parameters(bareme: dict[str, Any]) -> list[dict[str, Any]]:
    """Each parameter with its rows: the values for every nature, then those of one nature (labelled)."""
    natures = bareme.get("natures") or {}
    shown = []
    for p in bareme.get("parametres", []):
        rows = [{**v, "nature_libelle": ""} for v in p.get("valeurs", [])]
        for nature, series in (p.get("valeurs_par_nature") or {}).items():
            rows += [{**v, "nature_libelle": natures.get(nature, "une nature")} for v in series]
        rows = [{**v, "provenance": _unsourced_text(v)} for v in rows]
        if rows:
            shown.append({"libelle": p["libelle"], "lignes": rows})
    return shown


async def checked_form(request: Request, me: Viewer) -> dict[str, str]:
    """The posted form's text fields, once its CSRF token is checked."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(me, form.get("csrf"))
    return form


def saved(request: Request, family: str, changed: dict[str, Any], done: str, unchanged: str):
    """Back to the barème page, saying whether the change changed anything."""
    info = done if changed.get("modifie") else unchanged
    return redirect(request, f"/caf/baremes?famille={family}&info={info}")


async def bareme_page(
    runtime: ServiceRuntime, request: Request, me: Viewer, family: str, errors=None, submitted=None, status=200
):
    """The barème page of ``family``: the national values, and the local rules of the agent's Caf."""
    if not me.caf_standing.caf_member:
        return failure_page(request, me, HTTPException(403, "Les barèmes se consultent dans l'espace Caf."))
    if family not in FAMILIES:
        return failure_page(request, me, HTTPException(404, "Type d'activité inconnu."))
    caf = caf_of(me)
    try:
        bareme = await ask_estimation(runtime, "parameters", me, famille=family)
        # the Cnaf and the operator have no payment policy of their own
        policy = await ask_estimation(runtime, "payment_policy", me, caf=caf) if caf and caf != NATIONAL_CODE else None
        # the Caf's territories (PSU bonus territoire per new place), on the EAJE page of a Caf's agent
        territories = (
            await _territories(runtime, me, caf) if family == "eaje_psu" and caf and caf != NATIONAL_CODE else None
        )
    except HTTPException as refusal:
        return failure_page(request, me, refusal)
    context = {
        "titre": f"Barème {bareme['libelle']}",
        "rubrique": "baremes",
        "familles": {f: FAMILY_LABELS.get(f, f) for f in FAMILIES},
        "famille": family,
        "b": bareme,
        "historique": _history(bareme),
        "parametres": _parameters(bareme),
        "politique": policy,
        "caf_nom": caf_name(caf) or "votre Caf",
        "peut_modifier": me.caf_standing.sets_national_baremes,
        "peut_choisir_politique": policy is not None and me.caf_standing.sets_local_rules,
        "territoires": territories,
        "peut_definir_territoires": territories is not None and me.caf_standing.sets_local_rules,
        "erreurs": errors or [],
        "saisie": submitted or {},
        "message": request.query_params.get("info"),
    }
    return render(request, "baremes.html", context, status, viewer=me)


async def refused_page(
    runtime: ServiceRuntime, request: Request, me: Viewer, family: str, refusal: HTTPException, fields, submitted
):
    """The page again with what was entered, each of estimation's refusals linked to its input."""
    return await bareme_page(
        runtime, request, me, family, _page_errors(refusal, fields), submitted, refusal.status_code
    )


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/caf/baremes", response_class=HTMLResponse)
    async def baremes(request: Request, famille: str = "eaje_psu", me: Viewer = Depends(viewer)) -> HTMLResponse:
        return await bareme_page(runtime, request, me, famille)

    @web.post("/caf/baremes/{famille}", response_class=HTMLResponse)
    async def change(request: Request, famille: str, me: Viewer = Depends(viewer)):
        form = await checked_form(request, me)
        if not me.caf_standing.sets_national_baremes:
            return failure_page(request, me, HTTPException(403, NATIONAL_ONLY))
        submitted = {k: form.get(k, "").strip() for k in FORM_FIELDS}
        problems = _provenance_problems(submitted)
        if problems:
            return await bareme_page(runtime, request, me, famille, problems, submitted, 422)
        try:
            changed = await ask_estimation(
                runtime,
                "set_parameter",
                me,
                famille=famille,
                parametre=submitted["parametre"],
                nature=submitted["nature"] or None,
                applicable_depuis=submitted["applicable_depuis"],
                valeur=submitted["valeur"].replace(",", "."),
                provenance={
                    "titre": submitted["provenance_titre"],
                    "emetteur": submitted["provenance_emetteur"],
                    "date": submitted["provenance_date"],
                    "reference": submitted["provenance_reference"],
                    "note": submitted["provenance_note"],
                },
                motif=submitted["motif"] or None,
            )
        except HTTPException as refusal:
            return await refused_page(runtime, request, me, famille, refusal, PAGE_FIELDS, submitted)
        return saved(
            request,
            famille,
            changed,
            "Valeur enregistrée : les déclarations en cours de toutes les Caf sont ré-estimées.",
            "Cette valeur était déjà en vigueur : rien n'a changé.",
        )

    return web
