"""The receipt's page: A4, a Unicode font shipped with the package (DejaVu Sans, see fonts/LICENSE), wrapped
label/value rows kept together when they fit, headings kept with what follows, « Page x / y » footers."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from afas_declaration.adapters import receipt_fonts
from afas_declaration.adapters.receipt_fonts import FONT
from afas_declaration.adapters.receipt_values import DASH, as_mapping, as_text
from afas_shared.cafs import caf_name

MONO = "Courier"
TITLE = "Accusé de réception de déclaration"

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


@dataclass(frozen=True)
class Cell:
    text: str
    width: float
    align: str = "L"
    bold: bool = False
    size: float = _TEXT
    grey: bool = False


class ReceiptPage(FPDF):
    def __init__(self, snapshot: Mapping[str, Any]) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.snapshot = snapshot
        self.add_fonts()
        self.set_margins(_MARGIN, _MARGIN + 4, _MARGIN)
        self.set_auto_page_break(True, margin=_BOTTOM)
        self.alias_nb_pages(None)  # enabled only to draw the footer's "Page x / y"

    def add_fonts(self) -> None:
        """DejaVu Sans regular and bold, parsed once per process (see receipt_fonts)."""
        receipt_fonts.add_fonts(self)

    def document(self) -> bytes:
        """The PDF's bytes, once laid out."""
        receipt_fonts.attach_outlines(self)
        return bytes(self.output())

    # Every page: a reminder of whose receipt it is, and the page number
    def header(self) -> None:
        self.alias_nb_pages(None)  # see footer
        partner = as_mapping(self.snapshot.get("partenaire"))
        code = as_text(partner.get("caf"))
        caf = as_text(partner.get("caf_nom")) or caf_name(code) or (f"Caf {code}" if code else "")
        left = " — ".join(p for p in (caf, as_text(partner.get("nom"))) if p)
        right = f"Exercice {as_text(self.snapshot.get('exercice'))} — {declaration_type(self.snapshot)}"
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
        reference = f"Déclaration {as_text(self.snapshot.get('declaration_id'))}"
        if self.snapshot.get("version") is not None:
            reference += f" — version {as_text(self.snapshot.get('version'))}"
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

    def row(self, *cells: Cell, separator: bool = True) -> None:
        """Cells side by side, each wrapped in its width; a row taller than a page continues on the next one."""
        split: list[list[str]] = []
        for cell in cells:
            self.font(bold=cell.bold, size=cell.size, grey=cell.grey)
            split.append(self._lines(self.fit(cell.text), cell.width))
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

    def _lines(self, text: str, width: float) -> list[str]:
        """``text`` wrapped in ``width`` in the current font. Most cells hold one short line: measured once, they skip
        fpdf2's line breaking, which re-measures the text for each character (most of a receipt's CPU otherwise)."""
        if "\n" not in text and self.get_string_width(text) < width - 2 * self.c_margin:
            return [text]
        lines = self.multi_cell(width, _LINE, text, dry_run=True, output=MethodReturnValue.LINES)
        return lines or [""]

    def pair(self, label: str, value: str, *, align: str = "R", label_share: float = 0.62) -> None:
        """A label and its value: figures right-aligned, free text (``align="L"``) read left to right."""
        self.row(Cell(label, self.epw * label_share), Cell(value, self.epw * (1 - label_share), align=align))


def declaration_type(snapshot: Mapping[str, Any]) -> str:
    return as_text(snapshot.get("type_libelle") or snapshot.get("type_declaration")) or DASH
