"""The receipt's fonts, parsed once per process instead of once per PDF.

fpdf2's ``add_font`` parses the whole TrueType file (6,000 glyphs of DejaVu Sans: cmap, widths, outlines) for
every document, and its output subsets that parsed font in place, so the parse cannot simply be shared. Here:

- the metrics a layout needs (cmap, widths, descriptor) are read once per process into a template font, and each
  document gets a light copy of it with its own subset map;
- the outlines are cut once per process to the characters French receipts use (Latin, punctuation, €; glyph
  names kept). At output, a document whose glyphs all lie in that cut is subset from it — a few hundred glyphs to
  read instead of 6,000; one that prints a rarer character is subset from the whole font, as before.

Which source a document is subset from depends only on its glyphs, so the same snapshot still gives the same
bytes, in any process, warm or cold.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVuSans"
_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

# What a French receipt prints: ASCII, Latin-1, Latin Extended-A (œ, Œ, ł, ş…), the Romanian commas, typographic
# punctuation (’ « » — … ‰), the euro and the trade mark sign
COMMON_CHARACTERS = frozenset(
    [
        *range(0x20, 0x7F),
        *range(0xA0, 0x180),
        *range(0x218, 0x21C),
        *range(0x2010, 0x2027),
        *range(0x2030, 0x203B),
        0x20AC,
        0x2122,
    ]
)


@dataclass(frozen=True)
class _Face:
    template: TTFFont
    whole: bytes
    common: bytes
    common_glyphs: frozenset[str]


@cache
def _face(style: str) -> _Face:
    path = FONTS / _FILES[style]
    template = TTFFont(FPDF(), path, f"{FONT.lower()}{style}", style)
    whole = path.read_bytes()
    common = _cut(whole, COMMON_CHARACTERS)
    glyphs = frozenset(ttLib.TTFont(io.BytesIO(common), lazy=True).getGlyphOrder())
    template.close()  # its outlines are never written: each document opens its own
    return _Face(template, whole, common, glyphs)


def _cut(font_file: bytes, characters: frozenset[int]) -> bytes:
    """The font reduced to ``characters``, glyph names kept (fpdf2 finds the glyphs it subsets by name)."""
    font = ttLib.TTFont(io.BytesIO(font_file), recalcTimestamp=False)
    options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True, glyph_names=True, name_IDs=["*"])
    options.drop_tables += ["FFTM"]  # a FontForge timestamp: fontTools cannot subset it, fpdf2 drops it too
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=sorted(characters))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def preload() -> None:
    """Parse both styles now (a worker process's start), so that no receipt pays for it."""
    for style in _FILES:
        _face(style)


def add_fonts(pdf: FPDF) -> None:
    """Give ``pdf`` DejaVu Sans regular and bold (family ``FONT``) from the process's parsed fonts."""
    for style in _FILES:
        font = _copy(_face(style).template, index=len(pdf.fonts) + 1)
        pdf.fonts[font.fontkey] = font


def attach_outlines(pdf: FPDF) -> None:
    """Before ``pdf.output()``: each DejaVu font gets outlines of its own to subset, the small cut when it covers
    every glyph the document used."""
    for style in _FILES:
        font = pdf.fonts.get(f"{FONT.lower()}{style}")
        if not isinstance(font, TTFFont):
            continue
        face = _face(style)
        used = set(font.subset.get_all_glyph_names())
        source = face.common if used <= face.common_glyphs else face.whole
        # the cut's bounding boxes are already exact: recomputing them would decompile every outline again
        font.ttfont = ttLib.TTFont(io.BytesIO(source), recalcTimestamp=False, recalcBBoxes=False, lazy=True)


def _copy(template: TTFFont, *, index: int) -> TTFFont:
    """A document's font: the template's read-only metrics shared, its own subset map and missing glyphs."""
    font = TTFFont.__new__(TTFFont)
    for name in TTFFont.__slots__:
        if hasattr(template, name):
            setattr(font, name, getattr(template, name))
    font.i = index
    font.biggest_size_pt = 0
    font.missing_glyphs = []
    font._hbfont = None
    font.subset = SubsetMap(font)
    return font
