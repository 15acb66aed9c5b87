"""The receipt's page: A4, a Unicode font shipped with the package (DejaVu Sans, see fonts/LICENSE), wrapped
label/value rows kept together when they fit, headings kept with what follows, « Page x / y » footers.

An archival, tagged PDF (PDF/A-2U, see ``receipt_archive``): every piece of text belongs to a structure element
(``receipt_tags``) — headings H1–H3, paragraphs, tables of rows with header and data cells — and the running header,
footer and rules are artifacts."""

from __future__ import annotations

import types
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import TTFFont
from fpdf.line_break import BREAKING_SPACE_SYMBOLS_STR
from fpdf.prefs import ViewerPreferences
from fpdf.util import FloatTolerance

from afas_declaration.adapters import receipt_archive, receipt_fonts
from afas_declaration.adapters.receipt_fonts import FONT
from afas_declaration.adapters.receipt_tags import COLUMN_HEADER, ROW_HEADER, Element, StructureTree
from afas_declaration.adapters.receipt_values import DASH, as_mapping, as_text
from afas_shared.cafs import caf_name

# Fingerprints: DejaVu Sans too (its figures are all one width). A core font such as Courier is never embedded,
# which an archival PDF forbids (fpdf2 refuses it under the PDF/A profile)
MONO = FONT
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
_ALIGN = {"L": Align.L, "R": Align.R, "C": Align.C}  # fpdf2 coerces a letter for each cell otherwise


@dataclass(frozen=True)
class Cell:
    text: str
    width: float
    align: str = "L"
    bold: bool = False
    size: float = _TEXT
    grey: bool = False
    header: bool = False  # a header cell (TH): of its row, or of its column in a row of header cells only


class ReceiptPage(FPDF):
    def __init__(self, snapshot: Mapping[str, Any]) -> None:
        super().__init__(orientation="P", unit="mm", format="A4", enforce_compliance=receipt_archive.PROFILE)
        self.snapshot = snapshot
        self.tags = StructureTree()
        self.struct_builder = self.tags  # type: ignore[assignment]  # nested, unlike fpdf2's flat one
        self.viewer_preferences = ViewerPreferences(display_doc_title=True)
        self._element: Element | None = None  # where the text drawn now belongs
        self._pending: tuple[str, str | None] | None = None  # the element to open at the next text drawn
        self._table: Element | None = None  # the table consecutive rows make up
        self._artifact = False
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
        self.set_xmp_metadata(
            receipt_archive.xmp(
                title=self.title or "",
                author=str(self.author or ""),
                subject=self.subject or "",
                creator=self.creator or "",
                created=self.creation_date,
            )
        )
        return bytes(self.output())

    # Structure ------------------------------------------------------------------------------------

    @contextmanager
    def tagged(self, role: str, attributes: str | None = None) -> Iterator[None]:
        """The text drawn inside is one element ``role`` of the document (H1, H2, H3, P); it ends any table."""
        self._table = None
        previous, self._element, self._pending = self._element, None, (role, attributes)
        try:
            yield
        finally:
            self._element, self._pending = previous, None

    @contextmanager
    def _artifacts(self) -> Iterator[None]:
        """Drawn inside: page furniture (running header, footer, rules), outside the structure."""
        if self._artifact:
            yield
            return
        self._artifact = True
        self._out("/Artifact BMC")
        try:
            yield
        finally:
            self._out("EMC")
            self._artifact = False

    def _render_styled_text_line(self, text_line: Any, h: float | None = None, *args: Any, **kwargs: Any) -> bool:
        """Each line of text in a marked-content sequence of its element, on the page it is drawn on."""
        writing = isinstance(self._out, types.MethodType)  # fpdf2 swaps _out for a no-op while measuring
        if self._artifact or not writing or not text_line.fragments:
            return super()._render_styled_text_line(text_line, h, *args, **kwargs)
        # the page break fpdf2 would make inside comes first, so that the sequence opens on the line's page
        self._perform_page_break_if_need_be(h if h is not None else max(f.font_size for f in text_line.fragments))
        element = self._element
        if element is None:
            role, attributes = self._pending or ("P", None)  # text drawn outside any element: a paragraph
            if self._pending is None:
                self._table = None
            element = self.tags.element(role, None, attributes)
            if self._pending is not None:
                self._element, self._pending = element, None
        mcid = self.tags.mark(element, self.page, self.pages[self.page])
        self._out(f"/{element.role} <</MCID {mcid}>> BDC")
        try:
            return super()._render_styled_text_line(text_line, h, *args, **kwargs)
        finally:
            self._out("EMC")

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        with self._artifacts():
            super().line(x1, y1, x2, y2)

    # Every page: a reminder of whose receipt it is, and the page number
    def header(self) -> None:
        with self._artifacts():
            self._running_header()

    def footer(self) -> None:
        with self._artifacts():
            self._running_footer()

    def _running_header(self) -> None:
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

    def _running_footer(self) -> None:
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
        return text.translate(_printable(getattr(self.current_font, "cmap", None)))

    def room(self, height: float) -> None:
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def heading(self, text: str, *, level: int = 1) -> None:
        self.room(_KEEP_WITH_NEXT if level == 1 else _KEEP_WITH_NEXT - 6)
        self.ln(4 if level == 1 else 2)
        self.font(bold=True, size=12 if level == 1 else 10)
        if level == 1:
            self.set_text_color(*_BLUE)
        with self.tagged("H2" if level == 1 else "H3"):  # the receipt's title is the H1
            self.block(self.fit(text), 0, 6 if level == 1 else 5)
        if level == 1:
            self.set_draw_color(*_BLUE)
            self.line(_MARGIN, self.get_y(), self.w - _MARGIN, self.get_y())
            self.ln(1.5)
        self.font()

    def paragraph(self, text: str, *, bold: bool = False, grey: bool = False, size: float = _TEXT, indent: float = 0):
        self.font(bold=bold, grey=grey, size=size)
        self.set_x(_MARGIN + indent)
        with self.tagged("P"):
            self.block(self.fit(text), self.epw - indent, _LINE)
        self.font()

    def block(self, text: str, width: float, height: float) -> None:
        """``text`` left-aligned in lines of ``width`` (0: to the right margin) from the current position, each
        ``height`` high, breaking pages as needed; then at the left margin below — as fpdf2's ``multi_cell``
        draws it, with the lines broken by ``_lines``."""
        if not width:
            width = self.w - self.r_margin - self.x
        x = self.x
        for line in self._lines(text, width):
            self.set_x(x)
            self.cell(width, height, line, align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_x(self.l_margin)

    def row(self, *cells: Cell, separator: bool = True) -> None:
        """Cells side by side, each wrapped in its width; a row taller than a page continues on the next one.

        Consecutive rows make up one table (TR, with TH for header cells and TD for the others)."""
        elements = self._table_row(cells)
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
            for cell, lines, element in zip(cells, split, elements, strict=True):
                if index < len(lines) and lines[index]:  # a cell's lines run out before its row's: nothing drawn
                    self.font(bold=cell.bold, size=cell.size, grey=cell.grey)
                    self.set_xy(x, y)
                    self._element = element
                    self.cell(cell.width, _LINE, lines[index], align=_ALIGN[cell.align])
                    self._element = None
                x += cell.width
            self.set_xy(self.l_margin, y + _LINE)
        self.ln(0.5)
        if separator:
            self.set_draw_color(*_SEPARATOR)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(0.5)
        self.font()

    def _table_row(self, cells: tuple[Cell, ...]) -> list[Element]:
        """The row's TR in the current table (a new one after other content) and an element per cell."""
        if self._table is None:
            self._table = self.tags.element("Table")
        row = self.tags.element("TR", self._table)
        scope = COLUMN_HEADER if all(c.header for c in cells) else ROW_HEADER
        return [self.tags.element("TH" if c.header else "TD", row, scope if c.header else None) for c in cells]

    def _lines(self, text: str, width: float) -> list[str]:
        """``text`` broken into lines of ``width`` in the current font, where fpdf2's ``multi_cell`` breaks them: after
        the last breaking space that fits (the space dropped), within a word longer than the line, at each newline.

        Each character is measured once from the font's width table, the line's width kept as a running sum of
        the same integer widths fpdf2 adds up; fpdf2 re-measures the whole line for each character it adds, which
        made line breaking the largest part of a receipt's CPU."""
        font = self.current_font
        assert isinstance(font, TTFFont)  # always DejaVu Sans (receipt_fonts): never a core font
        advance = font.cw
        size, k = self.font_size_pt, self.k
        room = width - self.c_margin - self.c_margin
        if "\n" not in text and not FloatTolerance.greater_than(
            sum(map(advance.__getitem__, map(ord, text))) * size * 0.001 / k, room
        ):
            return [text]  # most cells: the whole text fits, so does every part of it
        parts = text.split("\n")
        lines: list[str] = []
        for number, part in enumerate(parts, start=1):
            start = index = 0
            units: float = 0
            space = -1
            while index < len(part):
                char = part[index]
                char_units = advance[ord(char)]
                # the same sums and the same comparison as fpdf2's, so that lines break at the same characters
                if FloatTolerance.greater_than(units * size * 0.001 / k + char_units * size * 0.001 / k, room):
                    if char in BREAKING_SPACE_SYMBOLS_STR:  # a space where the line is full: dropped
                        lines.append(part[start:index])
                        start = index = index + 1
                        units, space = 0, -1
                        continue
                    if space >= 0:  # back to the line's last breaking space, dropped
                        lines.append(part[start:space])
                        start = index = space + 1
                        units, space = 0, -1
                        continue
                    if index > start:  # a word longer than the line: cut before this character
                        lines.append(part[start:index])
                        start, units = index, 0
                        continue
                if char in BREAKING_SPACE_SYMBOLS_STR:
                    space = index
                units += char_units
                index += 1
            if number < len(parts) or units:  # a newline ends a line even when empty; the text's end only a drawn one
                lines.append(part[start:])
        return lines or [""]

    def pair(self, label: str, value: str, *, align: str = "R", label_share: float = 0.62) -> None:
        """A label and its value: figures right-aligned, free text (``align="L"``) read left to right."""
        self.row(
            Cell(label, self.epw * label_share, header=True), Cell(value, self.epw * (1 - label_share), align=align)
        )


class _Printable(dict[int, str | None]):
    """What each character becomes in a font (``str.translate``'s table), worked out once per character: itself,
    nothing for a control or unassigned character, "?" for one the font lacks (newlines are kept)."""

    def __init__(self, cmap: Mapping[int, Any] | None) -> None:
        super().__init__()
        self.cmap = cmap

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        if char == "\n":
            shown: str | None = char
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            shown = None
        elif (code not in self.cmap) if self.cmap is not None else code > 0xFF:
            shown = "?"
        else:
            shown = char
        self[code] = shown
        return shown


_PRINTABLE: dict[int, _Printable] = {}


def _printable(cmap: Mapping[int, Any] | None) -> _Printable:
    """The translation table of the font whose character map is ``cmap`` (the fonts are the process's own, parsed
    once: see receipt_fonts, so a table per map is kept for the process's life)."""
    table = _PRINTABLE.get(id(cmap))
    if table is None or table.cmap is not cmap:
        if len(_PRINTABLE) >= 8:  # fonts parsed for each document (the benchmark's baseline): no table kept long
            _PRINTABLE.clear()
        table = _PRINTABLE[id(cmap)] = _Printable(cmap)
    return table


def declaration_type(snapshot: Mapping[str, Any]) -> str:
    return as_text(snapshot.get("type_libelle") or snapshot.get("type_declaration")) or DASH
