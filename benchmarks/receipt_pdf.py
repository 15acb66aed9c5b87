"""The PDF receipt's cost: the former way (fonts parsed for every PDF, every cell through fpdf2's line breaking: the
baseline) against the service's way (fonts parsed once per process, one-line cells measured once), in the same run,
on the same snapshots.

For each way: CPU milliseconds per PDF (``time.process_time``, this process only) and PDFs per second on one core,
rounds interleaved so that a busy box weighs on both alike; then the service's way in the worker pool the
declaration service runs (``receipt_workers`` processes), whose PDFs per second is what a deadline day gets.
The budget is 50 ms of CPU per receipt.

    python benchmarks/receipt_pdf.py [--pdfs 40] [--rounds 3] [--sites 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from fpdf.enums import MethodReturnValue

from afas_declaration.adapters.receipt_fonts import FONT, FONTS
from afas_declaration.adapters.receipt_page import _LINE, ReceiptPage
from afas_declaration.adapters.receipt_pdf import render_receipt
from afas_declaration.adapters.receipt_workers import start_worker

BUDGET_MS = 50.0


class ParsedEveryTime(ReceiptPage):
    """The receipt as it was: both DejaVu files parsed by fpdf2 for each PDF and subset from the whole font, every
    cell through fpdf2's line breaking."""

    def add_fonts(self) -> None:
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))

    def document(self) -> bytes:
        return bytes(self.output())

    def _lines(self, text: str, width: float) -> list[str]:
        return self.multi_cell(width, _LINE, text, dry_run=True, output=MethodReturnValue.LINES) or [""]


def declaration(number: int, sites: int) -> dict[str, Any]:
    """A transmitted EAJE declaration of ``sites`` sites, with controls and an estimate: a receipt of 3–4 pages."""
    fields = [
        ("places", "Nombre de places agréées", "integer", None, 24 + number % 7),
        ("jours", "Jours d'ouverture", "integer", None, 221),
        ("heures_realisees", "Heures réalisées", "hours", "h", f"{41000 + number}.50"),
        ("heures_facturees", "Heures facturées", "hours", "h", f"{43800 + number}.00"),
        ("participations", "Participations familiales", "euros", "€", f"{98765 + number}.40"),
        ("charges", "Total des charges", "euros", "€", f"{612345 + number}.10"),
        ("repas", "Fourniture des repas et des couches", "boolean", None, True),
        ("commentaire", "Précisions sur l'activité", "text", None, "Fermeture estivale de trois semaines en août."),
    ]
    forms = [
        {
            "type": "activite",
            "titre": "Données d'activité",
            "lieu": f"Site {chr(65 + site)} — rue de l'Église",
            "sections": [
                {
                    "libelle": section,
                    "champs": [
                        {"id": f, "libelle": label, "type": kind, "unite": unit, "valeur": value}
                        for f, label, kind, unit, value in fields
                    ],
                }
                for section in ("Capacité et ouverture", "Heures", "Finances")
            ],
        }
        for site in range(sites)
    ]
    controls = [
        {
            "id": f"c{index}",
            "severite": "flagged" if index % 3 else "blocking",
            "statut": "anomalie" if index % 4 == 0 else "ok",
            "libelle": f"Cohérence des heures facturées et réalisées n° {index}",
            "message": "Le taux de facturation dépasse 107 % : justifiez l'écart." if index % 4 == 0 else "",
            "lieu": "Site A",
            "unite": "%",
            "justification": {"texte": "Accueil d'urgence en décembre.", "montant": "108.5"} if index % 4 else None,
        }
        for index in range(8)
    ]
    return {
        "declaration_id": f"3f2b8c1e-5d1a-4a2b-9c3d-{number:012d}",
        "version": 1,
        "hash": f"{number:064x}",
        "partenaire": {"nom": "Commune d'Amiens", "siret": "21800021900004", "caf": "080"},
        "activite": {
            "nom": "Multi-accueil Les Lutins",
            "famille": "eaje_psu",
            "famille_libelle": "EAJE - PSU",
            "nature": "multi_accueil",
            "nature_libelle": "Multi-accueil",
            "numero": "EAJE0801",
        },
        "exercice": 2026,
        "type_declaration": "reelle",
        "type_libelle": "Réelle",
        "formulaires": forms,
        "controles": controls,
        "estimation": {
            "disponible": True,
            "montant": f"{154321 + number}.27",
            "provisoire": False,
            "etapes": [{"libelle": f"Étape {i}", "valeur": f"{1000 * i}.5", "unite": "€"} for i in range(1, 7)],
            "parametres": [
                {
                    "libelle": "Prix plafond horaire",
                    "valeur": "8.77",
                    "unite": "€/h",
                    "applicable_depuis": "2026-01-01",
                    "provenance": "Circulaire Cnaf 2026-001",
                    "source": True,
                }
                for _ in range(4)
            ],
        },
        "informations_complementaires": "Déclaration établie d'après le compte de résultat approuvé.",
        "signataire": {"nom": "Camille Durand", "identifiant": "cdurand", "role": "Approbateur"},
        "transmise_le": "2026-02-10T14:32:05+01:00",
    }


def cpu_per_pdf(render: Callable[[Mapping[str, Any]], bytes], snapshots: list[dict[str, Any]]) -> tuple[float, float]:
    """(CPU ms per PDF, PDFs per second) rendering ``snapshots`` one after the other in this process."""
    cpu, wall = time.process_time(), time.perf_counter()
    for snapshot in snapshots:
        render(snapshot)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu * 1000 / len(snapshots), len(snapshots) / wall


def pooled(snapshots: list[dict[str, Any]], workers: int) -> float:
    """PDFs per second in a pool of ``workers`` processes started as the service starts its own (fonts preloaded)."""
    with ProcessPoolExecutor(workers, initializer=start_worker) as pool:
        list(pool.map(render_receipt, snapshots[:workers]))  # the workers are up and their fonts parsed
        wall = time.perf_counter()
        list(pool.map(render_receipt, snapshots))
        return len(snapshots) / (time.perf_counter() - wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdfs", type=int, default=40, help="PDFs per way and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sites", type=int, default=3, help="sites of the declaration (one form each)")
    parser.add_argument("--workers", type=int, default=2, help="processes of the pool")
    args = parser.parse_args()

    snapshots = [declaration(n, args.sites) for n in range(args.pdfs)]
    baseline = lambda s: render_receipt(s, ParsedEveryTime)  # noqa: E731
    cold = time.process_time()
    render_receipt(snapshots[0])  # this process's first receipt parses the fonts: reported, not averaged
    cold_ms = (time.process_time() - cold) * 1000
    baseline(snapshots[0])
    results: dict[str, list[tuple[float, float]]] = {"former way": [], "service's way": []}
    for _ in range(args.rounds):
        results["former way"].append(cpu_per_pdf(baseline, snapshots))
        results["service's way"].append(cpu_per_pdf(render_receipt, snapshots))

    same = render_receipt(snapshots[1]) == render_receipt(snapshots[1])
    print(f"receipt PDF: {args.pdfs} PDFs × {args.rounds} rounds, {args.sites} sites per declaration")
    print(f"  first receipt of a process (parses the fonts): {cold_ms:.0f} ms CPU")
    medians = {}
    for way, runs in results.items():
        cpu = statistics.median(r[0] for r in runs)
        rate = statistics.median(r[1] for r in runs)
        medians[way] = cpu
        print(f"  {way:14s} {cpu:7.1f} ms CPU per PDF   {rate:6.1f} PDFs/s on one core")
    before, after = medians["former way"], medians["service's way"]
    print(f"  ratio: {after / before:.2f} of the baseline's CPU ({before - after:.0f} ms saved per receipt)")
    print(f"  pool of {args.workers} worker processes: {pooled(snapshots, args.workers):.1f} PDFs/s")
    print(f"  same snapshot, same bytes: {'yes' if same else 'NO'}")
    verdict = "met" if after <= BUDGET_MS else "NOT met"
    print(f"  budget ≤ {BUDGET_MS:.0f} ms CPU per receipt: {verdict} ({after:.1f} ms)")


if __name__ == "__main__":
    main()
