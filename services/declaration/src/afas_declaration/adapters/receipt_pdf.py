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
A character the font lacks is printed as "?" rather than silently dropped; the fingerprint is in Courier
(core font, hexadecimal only).

Determinism: the same snapshot gives the same bytes. The creation date comes from ``transmise_le`` and the
PDF file identifier is a digest of the content (fpdf2's default), nothing random or clock-dependent.
"Page x / y" uses fpdf2's total-pages placeholder, enabled only while footers are drawn, so a declared text
that happens to contain the placeholder ("{nb}") is printed as typed.

Numbers are French: no-break space (U+00A0) between thousands and before the unit, decimal comma:
``"12500.50"`` of type ``euros`` prints ``12 500,50 €``, a ``percent`` ``107,00 %``, a boolean Oui/Non, a
missing value "—".

Snapshot shape (optional keys may be missing)::

    {"declaration_id", "version", "hash",
     "partenaire": {"nom", "siret", "caf"},
     "activite": {"nom", "famille", "famille_libelle", "nature", "nature_libelle", "numero"},
     "exercice", "type_declaration", "type_libelle",
     "formulaires": [{"type", "titre", "lieu", "sections": [{"libelle", "champs": [
         {"id", "libelle", "valeur", "unite", "type"}]}]}],
     "controles": [{"id", "severite", "statut", "libelle", "message", "lieu", "justification": {"texte", "montant"}}],
     "estimation": {"disponible": true, "montant", "provisoire", "etapes": [{"libelle", "valeur", "unite"}],
                    "parametres": [{"libelle", "valeur", "depuis", "source"}]} | {"disponible": false, "message"},
     "informations_complementaires", "signataire": {"nom", "identifiant", "role"}, "transmise_le"}
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from afas_shared.clock import PARIS

FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVuSans"
MONO = "Courier"
NBSP = "\u00a0"
DASH = "—"
TITLE = "Accusé de réception de déclaration"
UNAVAILABLE_ESTIMATE = "Estimation indisponible au moment de la transmission"

# Layout, in millimetres and points
_MARGIN = 18.0
_BOTTOM = 18.0
_TEXT = 9.0
_SMALL = 7.5
_LINE = 4.6
_SEPARATOR = (205, 205, 205)
_GREY = (95, 95, 95)
_BLUE = (0, 0, 145)
# Before a heading, room for it and a few lines so that it never ends a page alone
_KEEP_WITH_NEXT = 22.0
# A snapshot date in the distant past when transmise_le is absent: still deterministic
_NO_DATE = datetime(2000, 1, 1, tzinfo=UTC)
_PAGES = "{nb}"

_DECIMALS = {"integer": 0, "decimal": 2, "percent": 2, "hours": 2, "euros": 2}
_DEFAULT_UNITS = {"euros": "€", "percent": "%", "hours": "h"}
_TRUE = {"true", "oui", "vrai", "1"}
_FALSE = {"false", "non", "faux", "0"}
_STATUS = {"ok": "Conforme", "anomalie": "Anomalie", "non_evalue": "Non évalué"}
_SEVERITY = {"blocking": "Contrôle bloquant", "flagged": "Contrôle de signalement"}


def render_receipt(snapshot: Mapping[str, Any]) -> bytes:
    """The PDF receipt of the transmitted declaration ``snapshot``; the same snapshot gives the same bytes."""
    return bytes(_layout(snapshot).output())


# --- French formatting ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    text = value.strip().replace(NBSP, "").replace(" ", "") if isinstance(value, str) else str(value)
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def format_number(value: Any, decimals: int | None = None) -> str | None:
    """``"12500.5"`` → ``"12 500,50"`` with ``decimals=2`` (no-break spaces); None when not a number.

    ``decimals=None`` keeps the precision the value was written with (a rate of 0.0125 stays 0,0125).
    """
    number = _decimal(value)
    if number is None:
        return None
    if decimals is not None:
        number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 and number != 0 else ""
    digits = f"{abs(number):f}"
    whole, _, fraction = digits.partition(".")
    groups = []
    while len(whole) > 3:
        whole, tail = whole[:-3], whole[-3:]
        groups.insert(0, tail)
    grouped = NBSP.join([whole, *groups])
    return sign + grouped + ("," + fraction if fraction else "")


def _with_unit(number: str, unit: str | None) -> str:
    return f"{number}{NBSP}{unit}" if unit else number


def format_euros(value: Any) -> str:
    number = format_number(value, 2)
    return _with_unit(number, "€") if number is not None else (_text(value) or DASH)


def format_value(value: Any, field_type: str | None = None, unit: str | None = None) -> str:
    """A declared value as printed on the receipt: French numbers with their unit, Oui/Non, "—" when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DASH
    unit = unit or _DEFAULT_UNITS.get(field_type or "")
    if field_type == "boolean" or isinstance(value, bool):
        if isinstance(value, bool):
            return "Oui" if value else "Non"
        lowered = _text(value).strip().lower()
        if lowered in _TRUE:
            return "Oui"
        if lowered in _FALSE:
            return "Non"
        return _text(value)
    if field_type in _DECIMALS:
        number = format_number(value, _DECIMALS[field_type])
        return _with_unit(number, unit) if number is not None else _text(value)
    if isinstance(value, int | float | Decimal):  # a JSON number of another type: kept at its precision
        return _with_unit(format_number(value) or _text(value), unit)
    return _text(value)


def _format_measure(value: Any, unit: str | None) -> str:
    """An estimate step or parameter: French number at its own precision (money at the cent), with its unit."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DASH
    decimals = 2 if unit and unit.strip().startswith("€") else None
    number = format_number(value, decimals)
    return _with_unit(number if number is not None else _text(value), unit)


def _format_day(value: Any) -> str:
    try:
        return date.fromisoformat(_text(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return _text(value) or DASH


def _instant(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(_text(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)


def _paris(moment: datetime | None) -> tuple[str, str] | None:
    """(day, time) of ``moment`` in Paris: ("10/02/2026", "14:32:05")."""
    if moment is None:
        return None
    local = moment.astimezone(PARIS)
    return local.strftime("%d/%m/%Y"), local.strftime("%H:%M:%S")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str | bytes) else []


# --- the document ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    text: str
    width: float
    align: str = "L"
    bold: bool = False
    size: float = _TEXT
    grey: bool = False


class _Receipt(FPDF):
    def __init__(self, snapshot: Mapping[str, Any]) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.snapshot = snapshot
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(_MARGIN, _MARGIN + 4, _MARGIN)
        self.set_auto_page_break(True, margin=_BOTTOM)
        self.alias_nb_pages(None)  # enabled only to draw the footer's "Page x / y"

    # Every page: a reminder of whose receipt it is, and the page number
    def header(self) -> None:
        self.alias_nb_pages(None)  # see footer
        partner = _mapping(self.snapshot.get("partenaire"))
        caf = _text(partner.get("caf"))
        left = " — ".join(p for p in (f"Caf {caf}" if caf else "", _text(partner.get("nom"))) if p)
        right = f"Exercice {_text(self.snapshot.get('exercice'))} — {_declaration_type(self.snapshot)}"
        self.font(size=_SMALL, grey=True)
        self.set_xy(_MARGIN, 9)
        self.cell(self.epw / 2, 4, self.fit(left), align="L")
        self.cell(self.epw / 2, 4, self.fit(right), align="R")
        self.set_draw_color(*_SEPARATOR)
        self.line(_MARGIN, 14, self.w - _MARGIN, 14)
        self.set_xy(_MARGIN, _MARGIN + 4)
        self.font()

    def footer(self) -> None:
        self.font(size=_SMALL, grey=True)
        self.set_xy(_MARGIN, -12)
        reference = f"Déclaration {_text(self.snapshot.get('declaration_id'))}"
        if self.snapshot.get("version") is not None:
            reference += f" — version {_text(self.snapshot.get('version'))}"
        self.cell(self.epw * 0.7, 4, self.fit(reference), align="L")
        # The total-pages placeholder is live from here to the next page's header (and for the last page until
        # output, which substitutes it): only the footers ever contain it, declared text is printed as typed.
        self.alias_nb_pages(_PAGES)
        numbering = f"Page {self.page_no()} / {_PAGES}"
        width = self.get_string_width(numbering.replace(_PAGES, "000")) + 2 * self.c_margin
        self.set_x(self.w - self.r_margin - width)
        self.cell(width, 4, numbering, align="L")
        self.font()

    # Text helpers ----------------------------------------------------------------------------------

    def font(self, *, bold: bool = False, size: float = _TEXT, grey: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(*(_GREY if grey else (0, 0, 0)))

    def fit(self, text: str) -> str:
        """``text`` made printable in the current font: NFC, no control characters, missing glyphs as "?"."""
        text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
        cmap = getattr(self.current_font, "cmap", None)
        kept = []
        for char in text:
            if char == "\n":
                kept.append(char)
            elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
                continue
            elif cmap is not None and ord(char) not in cmap:
                kept.append("?")
            elif cmap is None and ord(char) > 0xFF:
                kept.append("?")
            else:
                kept.append(char)
        return "".join(kept)

    def room(self, height: float) -> None:
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def heading(self, text: str, *, level: int = 1) -> None:
        self.room(_KEEP_WITH_NEXT if level == 1 else _KEEP_WITH_NEXT - 6)
        self.ln(4 if level == 1 else 2)
        self.font(bold=True, size=12 if level == 1 else 10)
        if level == 1:
            self.set_text_color(*_BLUE)
        self.multi_cell(0, 6 if level == 1 else 5, self.fit(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if level == 1:
            self.set_draw_color(*_BLUE)
            self.line(_MARGIN, self.get_y(), self.w - _MARGIN, self.get_y())
            self.ln(1.5)
        self.font()

    def paragraph(self, text: str, *, bold: bool = False, grey: bool = False, size: float = _TEXT, indent: float = 0):
        self.font(bold=bold, grey=grey, size=size)
        self.set_x(_MARGIN + indent)
        self.multi_cell(self.epw - indent, _LINE, self.fit(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.font()

    def row(self, *cells: _Cell, separator: bool = True) -> None:
        """Cells side by side, each wrapped in its width; a row taller than a page continues on the next one."""
        split: list[list[str]] = []
        for cell in cells:
            self.font(bold=cell.bold, size=cell.size, grey=cell.grey)
            lines = self.multi_cell(
                cell.width, _LINE, self.fit(cell.text), dry_run=True, output=MethodReturnValue.LINES
            )
            split.append(lines or [""])
        height = max(len(lines) for lines in split) * _LINE + 1
        if height <= self.page_break_trigger - self.t_margin:
            self.room(height)  # keep a row on one page when it can be
        for index in range(max(len(lines) for lines in split)):
            if self.get_y() + _LINE > self.page_break_trigger:
                self.add_page()
            y = self.get_y()
            x = self.l_margin
            for cell, lines in zip(cells, split, strict=True):
                self.font(bold=cell.bold, size=cell.size, grey=cell.grey)
                self.set_xy(x, y)
                self.cell(cell.width, _LINE, lines[index] if index < len(lines) else "", align=cell.align)
                x += cell.width
            self.set_xy(self.l_margin, y + _LINE)
        self.ln(0.5)
        if separator:
            self.set_draw_color(*_SEPARATOR)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(0.5)
        self.font()

    def pair(self, label: str, value: str, *, align: str = "R", label_share: float = 0.62) -> None:
        """A label and its value: figures right-aligned, free text (``align="L"``) read left to right."""
        self.row(_Cell(label, self.epw * label_share), _Cell(value, self.epw * (1 - label_share), align=align))


def _declaration_type(snapshot: Mapping[str, Any]) -> str:
    return _text(snapshot.get("type_libelle") or snapshot.get("type_declaration")) or DASH


def _layout(snapshot: Mapping[str, Any]) -> _Receipt:
    pdf = _Receipt(snapshot)
    transmitted = _instant(snapshot.get("transmise_le"))
    partner = _mapping(snapshot.get("partenaire"))
    activity = _mapping(snapshot.get("activite"))
    pdf.set_creation_date(transmitted or _NO_DATE)
    pdf.set_lang("fr-FR")
    pdf.set_title(f"{TITLE} — {_text(activity.get('nom'))} — {_text(snapshot.get('exercice'))}")
    pdf.set_author(_text(partner.get("nom")))
    pdf.set_creator("AFAS — déclarations des partenaires")
    pdf.set_subject(f"Déclaration {_text(snapshot.get('declaration_id'))}")
    pdf.add_page()

    _identification(pdf, snapshot, partner, activity, transmitted)
    for form in _list(snapshot.get("formulaires")):
        _form(pdf, _mapping(form))
    _controls(pdf, _list(snapshot.get("controles")))
    _estimate(pdf, snapshot.get("estimation"))
    pdf.heading("Informations complémentaires")
    pdf.paragraph(_text(snapshot.get("informations_complementaires")).strip() or "Aucune.")
    _signature(pdf, snapshot, transmitted)
    return pdf


def _identification(
    pdf: _Receipt,
    snapshot: Mapping[str, Any],
    partner: Mapping[str, Any],
    activity: Mapping[str, Any],
    transmitted: datetime | None,
) -> None:
    pdf.font(bold=True, size=16)
    pdf.multi_cell(0, 8, pdf.fit(TITLE), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    when = _paris(transmitted)
    caf = _text(partner.get("caf"))
    exercise = _text(snapshot.get("exercice"))
    intro = (
        f"La Caf {caf} " if caf else "La Caf "
    ) + f"accuse réception de la déclaration {_declaration_type(snapshot).lower()} de l'exercice {exercise}"
    intro += f", transmise le {when[0]} à {when[1]} (heure de Paris)." if when else "."
    pdf.paragraph(intro)
    pdf.ln(2)

    def named(name: Any, code: Any, label: str) -> str:
        text = _text(name) or DASH
        return f"{text} ({label} {_text(code)})" if _text(code) else text

    rows = [
        ("Caf", caf or DASH),
        ("Partenaire", named(partner.get("nom"), partner.get("siret"), "SIRET")),
        ("Activité", named(activity.get("nom"), activity.get("numero"), "n°")),
        ("Famille", _text(activity.get("famille_libelle") or activity.get("famille")) or DASH),
        ("Nature", _text(activity.get("nature_libelle") or activity.get("nature")) or DASH),
        ("Exercice", exercise or DASH),
        ("Type de déclaration", _declaration_type(snapshot)),
        ("Référence de la déclaration", _text(snapshot.get("declaration_id")) or DASH),
        ("Version", _text(snapshot.get("version")) or DASH),
        ("Transmise le", f"{when[0]} à {when[1]} (heure de Paris)" if when else DASH),
    ]
    for label, value in rows:
        pdf.row(_Cell(label, pdf.epw * 0.32, bold=True), _Cell(value, pdf.epw * 0.68))


def _form(pdf: _Receipt, form: Mapping[str, Any]) -> None:
    title = _text(form.get("titre") or form.get("type")) or "Formulaire"
    place = _text(form.get("lieu"))
    pdf.heading(f"{title} — {place}" if place else title)
    sections = [_mapping(s) for s in _list(form.get("sections"))]
    if not any(_list(s.get("champs")) for s in sections):
        pdf.paragraph("Aucune valeur déclarée.", grey=True)
        return
    for section in sections:
        fields = [_mapping(f) for f in _list(section.get("champs"))]
        if not fields:
            continue
        if _text(section.get("libelle")):
            pdf.heading(_text(section.get("libelle")), level=2)
        for field in fields:
            field_type = _text(field.get("type")) or None
            value = format_value(field.get("valeur"), field_type, _text(field.get("unite")))
            align = "L" if field_type == "text" and len(value) > 40 else "R"
            pdf.pair(_text(field.get("libelle") or field.get("id")) or DASH, value, align=align)


def _controls(pdf: _Receipt, controls: list[Any]) -> None:
    pdf.heading("Contrôles")
    if not controls:
        pdf.paragraph("Aucun contrôle n'a été exécuté sur cette déclaration.")
        return
    counts = {key: sum(1 for c in controls if _mapping(c).get("statut") == key) for key in _STATUS}
    summary = [
        f"{counts['ok']} conforme(s)",
        f"{counts['anomalie']} anomalie(s)",
        f"{counts['non_evalue']} non évalué(s)",
    ]
    pdf.paragraph(f"{len(controls)} contrôle(s) : " + ", ".join(summary) + ".")
    pdf.ln(1)
    for raw in controls:
        control = _mapping(raw)
        status = _STATUS.get(_text(control.get("statut")), _text(control.get("statut")) or DASH)
        pdf.row(
            _Cell(_text(control.get("libelle") or control.get("id")) or DASH, pdf.epw * 0.7, bold=True),
            _Cell(status, pdf.epw * 0.3, align="R", bold=control.get("statut") == "anomalie"),
            separator=False,
        )
        details = [_SEVERITY.get(_text(control.get("severite")), "")]
        if _text(control.get("lieu")):
            details.append(f"Lieu : {_text(control.get('lieu'))}")
        pdf.paragraph(" — ".join(d for d in details if d), grey=True, size=_SMALL, indent=4)
        if _text(control.get("message")):
            pdf.paragraph(_text(control.get("message")), indent=4)
        justification = control.get("justification")
        if isinstance(justification, Mapping):
            pdf.paragraph("Justification : " + (_text(justification.get("texte")).strip() or DASH), indent=4)
            if justification.get("montant") not in (None, ""):
                pdf.paragraph(f"Montant justifié : {format_euros(justification.get('montant'))}", indent=4)
        pdf.ln(0.5)
        pdf.set_draw_color(*_SEPARATOR)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1)


def _estimate(pdf: _Receipt, raw: Any) -> None:
    pdf.heading("Estimation de la prestation de service")
    estimate = _mapping(raw)
    # Never a 0 for an estimate that could not be made: without an amount it is "indisponible"
    if not estimate.get("disponible") or estimate.get("montant") in (None, ""):
        pdf.paragraph(UNAVAILABLE_ESTIMATE + ".", bold=True)
        message = _text(estimate.get("message")).strip()
        if message and message.rstrip(".") != UNAVAILABLE_ESTIMATE:
            pdf.paragraph(message, grey=True)
        return
    amount = f"Montant estimé : {format_euros(estimate.get('montant'))}"
    if estimate.get("provisoire"):
        amount += " (estimation provisoire)"
    pdf.paragraph(amount, bold=True)
    pdf.paragraph(
        "Cette estimation est indicative ; le montant du droit est arrêté par la Caf après instruction.",
        grey=True,
        size=_SMALL,
    )
    steps = [_mapping(s) for s in _list(estimate.get("etapes"))]
    if steps:
        pdf.heading("Étapes du calcul", level=2)
        for step in steps:
            pdf.pair(_text(step.get("libelle")) or DASH, _format_measure(step.get("valeur"), _text(step.get("unite"))))
    parameters = [_mapping(p) for p in _list(estimate.get("parametres"))]
    if parameters:
        pdf.heading("Paramètres appliqués", level=2)
        widths = (0.34, 0.16, 0.16, 0.34)
        headers = ("Paramètre", "Valeur", "En vigueur depuis", "Source")
        pdf.row(*(_Cell(h, pdf.epw * w, bold=True, size=_SMALL) for h, w in zip(headers, widths, strict=True)))
        for parameter in parameters:
            values = (
                _text(parameter.get("libelle")) or DASH,
                _format_measure(parameter.get("valeur"), _text(parameter.get("unite"))),
                _format_day(parameter.get("depuis")) if parameter.get("depuis") else DASH,
                _text(parameter.get("source")) or DASH,
            )
            pdf.row(*(_Cell(v, pdf.epw * w, size=_SMALL) for v, w in zip(values, widths, strict=True)))


def _signature(pdf: _Receipt, snapshot: Mapping[str, Any], transmitted: datetime | None) -> None:
    pdf.room(_KEEP_WITH_NEXT + 25)  # the statement and the fingerprint stay together
    pdf.heading("Signature")
    signer = _mapping(snapshot.get("signataire"))
    name = _text(signer.get("nom")) or DASH
    identifier = _text(signer.get("identifiant"))
    statement = f"Déclaration signée électroniquement par {name}"
    if identifier:
        statement += f" (identifiant {identifier})"
    when = _paris(transmitted)
    statement += f" le {when[0]} à {when[1]} (heure de Paris)." if when else "."
    pdf.paragraph(statement)
    if _text(signer.get("role")):
        pdf.paragraph(f"Qualité du signataire : {_text(signer.get('role'))}")
    pdf.ln(3)
    version = _text(snapshot.get("version"))
    pdf.paragraph(
        "Empreinte SHA-256 de la déclaration transmise" + (f" (version {version})" if version else "") + " :",
        bold=True,
    )
    fingerprint = _text(snapshot.get("hash"))
    if not fingerprint:
        pdf.paragraph(DASH)
        return
    pdf.set_font(MONO, "", 9)
    pdf.set_text_color(0, 0, 0)
    pdf.multi_cell(0, _LINE, pdf.fit(fingerprint), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
