"""The PDF receipt (« accusé de réception ») of a transmitted declaration, drawn from its immutable snapshot.

``render_receipt(snapshot)`` takes the canonical JSON of a transmitted declaration (see the shape below) and
returns the bytes of an A4 PDF in French: who declared what for which activity and year, every declared value
grouped by form and section, the controls and their justifications, the estimate, the complementary
information, the electronic signature statement and the SHA-256 fingerprint of the snapshot on the last lines.

Characters: the text is set in DejaVu Sans (regular and bold), a Unicode TrueType font committed next to this
module in ``fonts/`` with its licence (Bitstream Vera / Arev licence: free redistribution, bundling in
software allowed). The PDF core fonts only cover latin-1, which misses « ’ », « œ » and « € » in some
encodings; the Debian package ``fonts-dejavu-core`` is absent from the slim Python images, so the font travels
with the package instead of being looked up on the machine. fpdf2 embeds only the glyphs used (subset).
A character the font lacks is printed as "?" rather than silently dropped; the fingerprint is in DejaVu Sans
too: the receipt is an archival PDF (PDF/A-2U, tagged: see ``receipt_page``), where every font is embedded.

Determinism: the same snapshot gives the same bytes. The creation date comes from ``transmise_le`` and the
PDF file identifier is a digest of the content (fpdf2's default), nothing random or clock-dependent.
"Page x / y" uses fpdf2's total-pages placeholder, enabled only while footers are drawn, so a declared text
that happens to contain the placeholder ("{nb}") is printed as typed.

Numbers are French: no-break space (U+00A0) between thousands and before the unit, decimal comma:
``"12500.50"`` of type ``euros`` prints ``12 500,50 €``, a ``percent`` ``107,00 %``, a boolean Oui/Non, a
missing value "—".

Snapshot shape (optional keys may be missing)::

    {"declaration_id", "version", "hash",
     "partenaire": {"nom", "siret", "caf", "caf_nom"},
     "activite": {"nom", "famille", "famille_libelle", "nature", "nature_libelle", "numero"},
     "exercice", "type_declaration", "type_libelle",
     "formulaires": [{"type", "titre", "lieu", "sections": [{"libelle", "champs": [
         {"id", "libelle", "valeur", "unite", "type"}]}]}],
     "controles": [{"id", "severite", "statut", "libelle", "message", "lieu", "unite",
                    "justification": {"texte", "montant"}}],
     "estimation": {"disponible": true, "montant", "provisoire", "partielle", "parties_non_calculees",
                    "avertissements", "etapes": [{"libelle", "valeur", "unite", "affichage"}],
                    "parametres": [{"libelle", "valeur", "unite", "affichage", "applicable_depuis", "provenance",
                                    "source", "provisoire"}]} | {"disponible": false, "message"},

The estimate is printed as estimation sent it (``etapes`` and ``parametres`` of its ``estimate`` answer): each
applied parameter with its value in its unit, the date it applies from and its provenance (« non sourcé » when
it has none). The Caf is named (``caf_nom``, else the shared table of Caf names), never shown as a bare code.
A justification's figure is printed in the unit of its control (hours, percent, euros).
     "informations_complementaires", "signataire": {"nom", "identifiant", "role"}, "transmise_le"}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from afas_declaration.adapters import receipt_attachments
from afas_declaration.adapters.receipt_page import (
    _KEEP_WITH_NEXT,
    _LINE,
    _NO_DATE,
    _SEPARATOR,
    _SMALL,
    MONO,
    TITLE,
    Cell,
    ReceiptPage,
    declaration_type,
)
from afas_declaration.adapters.receipt_values import (
    DASH,
    as_instant,
    as_list,
    as_mapping,
    as_text,
    format_day,
    format_euros,
    format_in_unit,
    format_measure,
    format_value,
    paris_parts,
)
from afas_declaration.domain.estimate_wording import PARTIAL_LABEL, is_partial, partial_notice, warnings
from afas_shared.cafs import caf_name
from afas_shared.french_plural import counted

_STATUS = {"ok": "Conforme", "anomalie": "Anomalie", "non_evalue": "Non évalué"}
_SEVERITY = {"blocking": "Contrôle bloquant", "flagged": "Contrôle de signalement"}


UNAVAILABLE_ESTIMATE = "Estimation indisponible au moment de la transmission"
_STATUS = {"ok": "Conforme", "anomalie": "Anomalie", "non_evalue": "Non évalué"}
_SEVERITY = {"blocking": "Contrôle bloquant", "flagged": "Contrôle de signalement"}


def render_receipt(snapshot: Mapping[str, Any], page: type[ReceiptPage] = ReceiptPage) -> bytes:
    """The PDF receipt of the transmitted declaration ``snapshot``; the same snapshot gives the same bytes.

    ``page``: a ReceiptPage with other fonts' handling (the benchmark's baseline parses them for each PDF)."""
    return _layout(snapshot, page).document()


# --- French formatting ----------------------------------------------------------------------------------


def _layout(snapshot: Mapping[str, Any], page: type[ReceiptPage]) -> ReceiptPage:
    pdf = page(snapshot)
    transmitted = as_instant(snapshot.get("transmise_le"))
    partner = as_mapping(snapshot.get("partenaire"))
    activity = as_mapping(snapshot.get("activite"))
    pdf.set_creation_date(transmitted or _NO_DATE)
    pdf.set_lang("fr-FR")
    pdf.set_title(f"{TITLE} — {as_text(activity.get('nom'))} — {as_text(snapshot.get('exercice'))}")
    pdf.set_author(as_text(partner.get("nom")))
    pdf.set_creator("AFAS — déclarations des partenaires")
    pdf.set_subject(f"Déclaration {as_text(snapshot.get('declaration_id'))}")
    pdf.add_page()

    _identification(pdf, snapshot, partner, activity, transmitted)
    for form in as_list(snapshot.get("formulaires")):
        _form(pdf, as_mapping(form))
    _controls(pdf, as_list(snapshot.get("controles")))
    receipt_attachments.attachments(pdf, snapshot)
    _estimate(pdf, snapshot.get("estimation"))
    pdf.heading("Informations complémentaires")
    pdf.paragraph(as_text(snapshot.get("informations_complementaires")).strip() or "Aucune.")
    _signature(pdf, snapshot, transmitted)
    return pdf


def _identification(
    pdf: ReceiptPage,
    snapshot: Mapping[str, Any],
    partner: Mapping[str, Any],
    activity: Mapping[str, Any],
    transmitted: datetime | None,
) -> None:
    pdf.font(bold=True, size=16)
    with pdf.tagged("H1"):
        pdf.block(pdf.fit(TITLE), 0, 8)
    pdf.ln(1)
    when = paris_parts(transmitted)
    code = as_text(partner.get("caf"))
    caf = as_text(partner.get("caf_nom")) or caf_name(code) or (f"Caf {code}" if code else "")
    exercise = as_text(snapshot.get("exercice"))
    intro = (
        f"La {caf} " if caf.startswith("Caf") else f"{caf} " if caf else "La Caf "
    ) + f"accuse réception de la déclaration {declaration_type(snapshot).lower()} de l'exercice {exercise}"
    intro += f", transmise le {when[0]} à {when[1]} (heure de Paris)." if when else "."
    pdf.paragraph(intro)
    pdf.ln(2)

    def named(name: Any, code: Any, label: str) -> str:
        text = as_text(name) or DASH
        return f"{text} ({label} {as_text(code)})" if as_text(code) else text

    rows = [
        ("Caf", f"{caf} ({code})" if caf and code and code not in caf else caf or DASH),
        ("Partenaire", named(partner.get("nom"), partner.get("siret"), "SIRET")),
        ("Activité", named(activity.get("nom"), activity.get("numero"), "n°")),
        ("Famille", as_text(activity.get("famille_libelle") or activity.get("famille")) or DASH),
        ("Nature", as_text(activity.get("nature_libelle") or activity.get("nature")) or DASH),
        ("Exercice", exercise or DASH),
        ("Type de déclaration", declaration_type(snapshot)),
        ("Référence de la déclaration", as_text(snapshot.get("declaration_id")) or DASH),
        ("Version", as_text(snapshot.get("version")) or DASH),
        ("Transmise le", f"{when[0]} à {when[1]} (heure de Paris)" if when else DASH),
    ]
    for label, value in rows:
        pdf.row(Cell(label, pdf.epw * 0.32, bold=True, header=True), Cell(value, pdf.epw * 0.68))


def _form(pdf: ReceiptPage, form: Mapping[str, Any]) -> None:
    title = as_text(form.get("titre") or form.get("type")) or "Formulaire"
    place = as_text(form.get("lieu"))
    pdf.heading(f"{title} — {place}" if place else title)
    sections = [as_mapping(s) for s in as_list(form.get("sections"))]
    if not any(as_list(s.get("champs")) for s in sections):
        pdf.paragraph("Aucune valeur déclarée.", grey=True)
        return
    for section in sections:
        fields = [as_mapping(f) for f in as_list(section.get("champs"))]
        if not fields:
            continue
        if as_text(section.get("libelle")):
            pdf.heading(as_text(section.get("libelle")), level=2)
        for field in fields:
            field_type = as_text(field.get("type")) or None
            value = format_value(field.get("valeur"), field_type, as_text(field.get("unite")))
            align = "L" if field_type == "text" and len(value) > 40 else "R"
            pdf.pair(as_text(field.get("libelle") or field.get("id")) or DASH, value, align=align)


def _controls(pdf: ReceiptPage, controls: list[Any]) -> None:
    pdf.heading("Contrôles")
    if not controls:
        pdf.paragraph("Aucun contrôle n'a été exécuté sur cette déclaration.")
        return
    counts = {key: sum(1 for c in controls if as_mapping(c).get("statut") == key) for key in _STATUS}
    summary = [
        counted(counts["ok"], "conforme"),
        counted(counts["anomalie"], "anomalie"),
        counted(counts["non_evalue"], "non évalué", "non évalués"),
    ]
    pdf.paragraph(f"{counted(len(controls), 'contrôle')} : " + ", ".join(summary) + ".")
    pdf.ln(1)
    for raw in controls:
        control = as_mapping(raw)
        status = _STATUS.get(as_text(control.get("statut")), as_text(control.get("statut")) or DASH)
        pdf.row(
            Cell(as_text(control.get("libelle") or control.get("id")) or DASH, pdf.epw * 0.7, bold=True, header=True),
            Cell(status, pdf.epw * 0.3, align="R", bold=control.get("statut") == "anomalie"),
            separator=False,
        )
        details = [_SEVERITY.get(as_text(control.get("severite")), "")]
        if as_text(control.get("lieu")):
            details.append(f"Lieu : {as_text(control.get('lieu'))}")
        pdf.paragraph(" — ".join(d for d in details if d), grey=True, size=_SMALL, indent=4)
        if as_text(control.get("message")):
            pdf.paragraph(as_text(control.get("message")), indent=4)
        justification = control.get("justification")
        if isinstance(justification, Mapping):
            pdf.paragraph("Justification : " + (as_text(justification.get("texte")).strip() or DASH), indent=4)
            figure = justification.get("montant", justification.get("amount"))
            if figure not in (None, ""):
                unit = as_text(control.get("unite")).strip()
                label = "Montant justifié" if unit in ("", "€") else "Valeur justifiée"
                shown = format_euros(figure) if unit in ("", "€") else format_in_unit(figure, unit)
                pdf.paragraph(f"{label} : {shown}", indent=4)
        pdf.ln(0.5)
        pdf.set_draw_color(*_SEPARATOR)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1)


def _estimate(pdf: ReceiptPage, raw: Any) -> None:
    pdf.heading("Estimation de la prestation de service")
    estimate = as_mapping(raw)
    # Never a 0 for an estimate that could not be made: without an amount it is "indisponible"
    if not estimate.get("disponible") or estimate.get("montant") in (None, ""):
        pdf.paragraph(UNAVAILABLE_ESTIMATE + ".", bold=True)
        message = as_text(estimate.get("message")).strip()
        if message and message.rstrip(".") != UNAVAILABLE_ESTIMATE:
            pdf.paragraph(message, grey=True)
        return
    partial = is_partial(estimate)
    label = PARTIAL_LABEL if partial else "Montant estimé"
    amount = f"{label} : {format_euros(estimate.get('montant'))}"
    if estimate.get("provisoire"):
        amount += " (estimation provisoire)"
    pdf.paragraph(amount, bold=True)
    if partial:
        pdf.paragraph(partial_notice(estimate), bold=True)
    for warning in warnings(estimate):
        pdf.paragraph(warning, grey=True, size=_SMALL)
    pdf.paragraph(
        "Cette estimation est indicative ; le montant du droit est arrêté par la Caf après instruction.",
        grey=True,
        size=_SMALL,
    )
    steps = [as_mapping(s) for s in as_list(estimate.get("etapes"))]
    if steps:
        pdf.heading("Étapes du calcul", level=2)
        for step in steps:
            numeric = as_text(step.get("unite")) or as_text(step.get("valeur")).replace(".", "", 1).isdigit()
            shown = (
                format_measure(step.get("valeur"), as_text(step.get("unite")))
                if numeric
                else as_text(step.get("valeur")) or DASH
            )
            pdf.pair(as_text(step.get("libelle")) or DASH, shown, align="R" if numeric else "L")
    parameters = [as_mapping(p) for p in as_list(estimate.get("parametres"))]
    if parameters:
        pdf.heading("Paramètres appliqués", level=2)
        widths = (0.30, 0.14, 0.14, 0.42)
        headers = ("Paramètre", "Valeur", "En vigueur depuis", "Provenance")
        pdf.row(
            *(Cell(h, pdf.epw * w, bold=True, size=_SMALL, header=True) for h, w in zip(headers, widths, strict=True))
        )
        for parameter in parameters:
            since = parameter.get("applicable_depuis") or parameter.get("depuis")
            values = (
                as_text(parameter.get("libelle")) or DASH,
                format_measure(parameter.get("valeur"), as_text(parameter.get("unite"))),
                format_day(since) if since else DASH,
                _provenance(parameter),
            )
            pdf.row(*(Cell(v, pdf.epw * w, size=_SMALL) for v, w in zip(values, widths, strict=True)))


def _provenance(parameter: Mapping[str, Any]) -> str:
    """The provenance as estimation sent it; an unsourced value says so (the flag ``source`` is never printed)."""
    text = as_text(parameter.get("provenance")).strip()
    if parameter.get("source") is False or text.lower().startswith("non sourcé"):
        text = text if text.lower().startswith("non sourcé") else f"Non sourcé — {text}" if text else "Non sourcé"
        text = text[0].upper() + text[1:]
    provisional = " (valeur retenue à titre provisoire)"
    return (text or DASH) + (provisional if parameter.get("provisoire") else "")


def _signature(pdf: ReceiptPage, snapshot: Mapping[str, Any], transmitted: datetime | None) -> None:
    pdf.room(_KEEP_WITH_NEXT + 25)  # the statement and the fingerprint stay together
    pdf.heading("Signature")
    signer = as_mapping(snapshot.get("signataire"))
    name = as_text(signer.get("nom")) or DASH
    identifier = as_text(signer.get("identifiant"))
    statement = f"Déclaration signée électroniquement par {name}"
    if identifier:
        statement += f" (identifiant {identifier})"
    when = paris_parts(transmitted)
    statement += f" le {when[0]} à {when[1]} (heure de Paris)." if when else "."
    pdf.paragraph(statement)
    if as_text(signer.get("role")):
        pdf.paragraph(f"Qualité du signataire : {as_text(signer.get('role'))}")
    pdf.ln(3)
    version = as_text(snapshot.get("version"))
    pdf.paragraph(
        "Empreinte SHA-256 de la déclaration transmise" + (f" (version {version})" if version else "") + " :",
        bold=True,
    )
    fingerprint = as_text(snapshot.get("hash"))
    if not fingerprint:
        pdf.paragraph(DASH)
        return
    pdf.set_font(MONO, "", 9)
    pdf.set_text_color(0, 0, 0)
    with pdf.tagged("P"):
        pdf.block(pdf.fit(fingerprint), 0, _LINE)
