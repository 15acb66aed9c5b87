"""The receipt's fonts are parsed once per process, whatever the number of receipts, and a receipt subset from the
small cut of common characters or from the whole font (a rarer script) prints its text and is reproducible."""

from __future__ import annotations

import json
import subprocess
import sys

from afas_declaration.adapters.receipt_pdf import render_receipt
from services.declaration.tests.receipt_snapshot import flat, snapshot

# Counts fpdf2's parses of a TrueType font (TTFFont) in a fresh interpreter while it renders receipts
_COUNT_PARSES = """
import json, sys
from fpdf import fonts
parses = []
original = fonts.TTFFont.__init__
def counted(self, *args, **kwargs):
    parses.append(str(args[1]))
    original(self, *args, **kwargs)
fonts.TTFFont.__init__ = counted
from afas_declaration.adapters.receipt_pdf import render_receipt
snapshots = json.loads(sys.stdin.read())
sizes = [len(render_receipt(s)) for s in snapshots]
print(json.dumps({"parses": parses, "sizes": sizes}))
"""


def test_fonts_are_parsed_once_per_process_however_many_receipts():
    snapshots = [snapshot(), snapshot(version=2), snapshot(informations_complementaires="Жанна Ωmega")]
    done = subprocess.run(
        [sys.executable, "-c", _COUNT_PARSES], input=json.dumps(snapshots), capture_output=True, text=True, check=True
    )
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(outcome["sizes"]) == 3 and all(size > 1000 for size in outcome["sizes"])
    assert sorted(p.rsplit("/", 1)[-1] for p in outcome["parses"]) == ["DejaVuSans-Bold.ttf", "DejaVuSans.ttf"]


def test_a_rarer_script_is_printed_from_the_whole_font_and_each_way_is_reproducible():
    common = snapshot(informations_complementaires="Œuvre « l’été » — 1 250,00 €")
    rare = snapshot(informations_complementaires="Жанна Ωmega")
    for document, text in ((common, "Œuvre « l’été » — 1 250,00 €"), (rare, "Жанна Ωmega")):
        pdf = render_receipt(document)
        assert text in flat(pdf)
        assert render_receipt(document) == pdf
