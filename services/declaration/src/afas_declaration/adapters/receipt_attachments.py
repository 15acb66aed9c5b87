"""The receipt's « Pièces justificatives »: each file the transmitted version froze, with its size and its SHA-256,
so that the Caf (or a court) can tell the very file that was sent from any other."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from afas_declaration.adapters.receipt_page import _SMALL, MONO, Cell, ReceiptPage
from afas_declaration.adapters.receipt_values import DASH, as_list, as_mapping, as_text
from afas_declaration.domain.attachments import size_label
from afas_shared.french_plural import counted, plural


def _size(size: Any) -> str:
    try:
        return size_label(int(size))
    except (TypeError, ValueError):
        return DASH


def attachments(pdf: ReceiptPage, snapshot: Mapping[str, Any]) -> None:
    """Printed only for a snapshot that records its files (a version transmitted before they existed has none)."""
    if "pieces_jointes" not in snapshot:
        return
    files = as_list(snapshot.get("pieces_jointes"))
    pdf.heading("Pièces justificatives")
    if not files:
        pdf.paragraph("Aucune pièce justificative jointe.")
        return
    count = len(files)
    pdf.paragraph(
        f"{counted(count, 'pièce jointe', 'pièces jointes')}, {plural(count, 'identifiée', 'identifiées')} par "
        f"{plural(count, 'son', 'leur')} empreinte SHA-256."
    )
    pdf.ln(1)
    for raw in files:
        entry = as_mapping(raw)
        pdf.row(
            Cell(as_text(entry.get("nom")) or DASH, pdf.epw * 0.7, bold=True),
            Cell(f"{as_text(entry.get('type'))} — {_size(entry.get('taille'))}", pdf.epw * 0.3, align="R"),
            separator=False,
        )
        details = [f"Déposée par {as_text(entry.get('deposee_par')) or DASH}"]
        if as_text(entry.get("lieu")):
            details.append(f"Lieu : {as_text(entry.get('lieu'))}")
        if as_text(entry.get("controle")):
            details.append("Justification d'un contrôle")
        pdf.paragraph(" — ".join(details), grey=True, size=_SMALL, indent=4)
        pdf.set_font(MONO, size=_SMALL)
        pdf.set_x(pdf.l_margin + 4)
        pdf.cell(pdf.epw - 4, 4, f"SHA-256 {as_text(entry.get('sha256'))}", new_x="LMARGIN", new_y="NEXT")
        pdf.font()
        pdf.ln(1)
