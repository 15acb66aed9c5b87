"""A campaign's progress to download: one workbook (.xlsx) with a sheet per table, or each table as its own CSV.

Three tables: the campaign's summary, its declarations per state, and its activities with their declaration's
state. Everything a person reads is a label (« Multi-accueil », « Caf de la Somme », « Transmise Caf »), never a
code; dates and figures keep their types in the workbook (see ``adapters.spreadsheet``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from afas_declaration.adapters import spreadsheet
from afas_declaration.adapters.spreadsheet import Percent, Table
from afas_declaration.application import campaign_progress
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.web import labels
from afas_declaration.gateway.web.caf_campaign_pages import _campaign_label as campaign_label
from afas_declaration.gateway.web.caf_common import FAMILY_LABELS, caller, refused
from afas_declaration.gateway.web.declaration_pages import failure_page
from afas_declaration.gateway.web.pages import Viewer
from afas_shared.cafs import caf_name
from afas_shared.runtime import ServiceRuntime

# The CSV files offered, by the name in their URL (« export-activites.csv »): each holds one table
CSV_TABLES = ("synthese", "etats", "activites")


def export_tables(p: dict[str, Any]) -> dict[str, Table]:
    """The progress ``p`` (``campaign_progress.progress``) as the three tables, by their CSV name."""
    c = p["campagne"]
    summary = Table(
        "Synthèse",
        [
            "Campagne",
            "Caf",
            "Numéro de Caf",
            "Type d'activité",
            "Exercice",
            "Type de déclaration",
            "Date d'ouverture",
            "Date limite",
            "Activités",
            "Déclarées",
            "Taux de déclaration",
        ],
        [
            [
                campaign_label(c),
                caf_name(c["caf"]) or f"Caf {c['caf']}",
                c["caf"],
                FAMILY_LABELS.get(c["type_activite"], c["type_activite"]),
                int(c["exercice"]),
                c["type_declaration_libelle"],
                date.fromisoformat(c["date_ouverture"]),
                date.fromisoformat(c["date_limite"]),
                p["activites"],
                p["declarees"],
                Percent(p["taux_declaration"]),
            ]
        ],
    )
    states = Table(
        "Déclarations par état",
        ["État", "Nombre de déclarations"],
        [*([s["libelle"], s["nombre"]] for s in p["par_etat"]), ["Total", p["declarations"]]],
    )
    activities = Table(
        "Activités",
        ["Activité", "Nature", "Partenaire", "État de la déclaration", "Déclarée"],
        [
            [
                r["activite"],
                labels.nature_label(r["nature"], c["type_activite"]),
                r["partenaire"],
                r["etat_libelle"],
                "Oui" if r["declaree"] else "Non",
            ]
            for r in p["lignes"]
        ],
    )
    return {"synthese": summary, "etats": states, "activites": activities}


def _filename(p: dict[str, Any], table: str | None, extension: str) -> str:
    c = p["campagne"]
    name = f"suivi-campagne-{c['caf']}-{c['type_activite']}-{c['exercice']}-{c['type_declaration']}"
    return f"{name}-{table}.{extension}" if table else f"{name}.{extension}"


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    async def _progress(me: Viewer, campaign_id: uuid.UUID) -> dict[str, Any]:
        return await call_local(campaign_progress.progress(runtime, caller(me), campaign_id))

    @web.get("/caf/campagnes/{campaign_id}/export-{table}.csv")
    async def export_csv(request: Request, campaign_id: uuid.UUID, table: str, me: Viewer = Depends(viewer)):
        if (refusal := refused(request, me)) is not None:
            return refusal
        if table not in CSV_TABLES:
            raise HTTPException(404, "Ce tableau n'existe pas : choisissez synthese, etats ou activites.")
        try:
            p = await _progress(me, campaign_id)
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        return Response(
            spreadsheet.csv_bytes(export_tables(p)[table]),
            media_type=spreadsheet.CSV_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{_filename(p, table, "csv")}"'},
        )

    @web.get("/caf/campagnes/{campaign_id}/export.xlsx")
    async def export_xlsx(request: Request, campaign_id: uuid.UUID, me: Viewer = Depends(viewer)) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        try:
            p = await _progress(me, campaign_id)
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        return Response(
            spreadsheet.xlsx_bytes(list(export_tables(p).values())),
            media_type=spreadsheet.XLSX_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{_filename(p, None, "xlsx")}"'},
        )

    return web
