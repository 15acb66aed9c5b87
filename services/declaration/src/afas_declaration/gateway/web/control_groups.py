"""The control results of a declaration as the controls page shows them: grouped by form and site, each anomaly
with a « Corriger » link to the field it is about, and the empty required fields of a form in one line.

The controls (``domain.controls``) report one result per empty required field, which the justifications and the
receipt need field by field; a person reads them better as « 19 champs obligatoires à remplir » with a link to
each. Only anomalies (and the « non évalué ») are grouped here: conforming results stay in their own list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from afas_declaration.domain.controls.model import REQUIRED_CONTROL

WHOLE_DECLARATION = "Ensemble de la déclaration"


@dataclass
class Group:
    title: str
    rows: list[dict[str, Any]] = field(default_factory=list)


def _place(form: dict[str, Any]) -> str:
    return f"{form['titre']} – site {form['lieu']}" if form.get("lieu") else form["titre"]


def _links(result: dict[str, Any], form: dict[str, Any] | None) -> list[dict[str, str]]:
    """A link to each field of the result, on the form's page (only for a form the viewer is shown)."""
    if form is None:
        return []
    labels = {f["id"]: f["libelle"] for s in form["sections"] for f in s["champs"]}
    return [
        {"libelle": labels[f], "href": f"/formulaires/{form['id']}#champ-{f}"}
        for f in result.get("champs") or []
        if f in labels
    ]


def grouped(results: list[dict[str, Any]], forms: list[dict[str, Any]]) -> list[Group]:
    """The anomalies of ``results`` by form and site, in the forms' order (declaration-wide ones last)."""
    by_place = {(f["type"], f.get("lieu")): f for f in forms}
    groups: dict[tuple[str | None, str | None], Group] = {}
    for form in forms:
        groups[(form["type"], form.get("lieu"))] = Group(_place(form))
    missing: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    for result in results:
        if result["statut"] == "ok":
            continue
        key = (result.get("formulaire"), result.get("lieu")) if result.get("formulaire") else (None, None)
        form = by_place.get(key)
        group = groups.setdefault(key, Group(_place(form) if form else _unknown_place(result)))
        row = {**result, "corriger": _links(result, form)}
        if result["id"] == REQUIRED_CONTROL and result["statut"] == "anomalie":
            if key in missing:  # one line for the group's empty required fields, a link to each
                merged = missing[key]
                merged["corriger"] += row["corriger"]
                merged["nombre"] += 1
                merged["message"] = f"{merged['nombre']} champs obligatoires ne sont pas remplis."
                continue
            row = {**row, "nombre": 1, "message": "1 champ obligatoire n'est pas rempli."}
            missing[key] = row
        group.rows.append(row)
    return [g for g in groups.values() if g.rows]


def _unknown_place(result: dict[str, Any]) -> str:
    # A form the viewer is not shown (another provider's site), or a control over the whole declaration
    if result.get("lieu"):
        return f"Site {result['lieu']}"
    return WHOLE_DECLARATION
