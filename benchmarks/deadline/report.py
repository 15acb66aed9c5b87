"""What the run found: the check that every transmit exists exactly once with its receipt, and the printed figures
next to the issue's targets and the same run's baseline."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from .baseline import Baseline
from .flows import STEPS, Record

TARGET_PER_MINUTE = 600
TARGET_CPU_MS = 150
TARGET_TRANSMIT_P99_S = 1.0


def transmissions_per_declaration(declaration_db_url: str, declarations: list[str]) -> Counter[str]:
    """How many transmitted versions the declaration service stored for each of ``declarations``."""
    wanted = set(declarations)
    engine = sa.create_engine(declaration_db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT declaration_id, count(*) FROM transmission GROUP BY declaration_id"))
            counted = Counter({str(uuid.UUID(str(d))): int(n) for d, n in rows})
    finally:
        engine.dispose()
    return Counter({d: counted.get(d, 0) for d in wanted})


@dataclass
class Check:
    declarations: int
    exactly_once: int
    never: int
    more_than_once: int
    answered_but_stored_differently: int  # a transmit the client saw fail although stored, or the reverse
    with_receipt: int

    @property
    def passed(self) -> bool:
        return self.exactly_once == self.declarations == self.with_receipt


def check(stored: Counter[str], record: Record, receipts: dict[str, int]) -> Check:
    return Check(
        declarations=len(stored),
        exactly_once=sum(1 for n in stored.values() if n == 1),
        never=sum(1 for n in stored.values() if n == 0),
        more_than_once=sum(1 for n in stored.values() if n > 1),
        answered_but_stored_differently=sum(1 for d, n in stored.items() if (d in record.transmitted) != (n >= 1)),
        with_receipt=sum(1 for d, n in stored.items() if n >= 1 and d in receipts),
    )


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def render(
    *,
    database: str,
    flows: int,
    per_session: int,
    record: Record,
    seconds: float,
    cpu: dict[str, float],
    rss: dict[str, float],
    result: Check,
    baseline: Baseline,
    setup_seconds: float,
) -> str:
    done = max(record.declarations_done, 1)
    unanswered = sum(n for (_, status), n in record.errors.items() if status == 0)
    calls = sum(len(v) for v in record.latencies.values()) + unanswered
    per_minute = 60 * record.declarations_done / seconds
    services_cpu = sum(v for k, v in cpu.items() if k != "client")
    total_ms = 1000 * sum(cpu.values()) / done
    transmit_p99 = percentile(record.latencies["transmit"], 0.99)
    errors = sum(record.errors.values())
    lines = [
        f"Jour d'échéance — {database}, {result.declarations} déclarations, {flows} flux concurrents, "
        f"{per_session} déclarations par session (une connexion chacune)",
        f"Machine : {os.cpu_count()} cœurs, charge moyenne {os.getloadavg()[0]:.2f} à la fin (machine partagée : "
        "d'autres travaux tournent en même temps, comparer aux références de la même exécution)",
        f"Mise en place (activités, habilitations, ouverture des déclarations) : {setup_seconds:.0f} s",
        "",
        f"Rejeu : {seconds:.1f} s, {record.declarations_done} déclarations complètes (7 appels), "
        f"{per_minute:.1f} déclarations/min, {calls / seconds:.1f} appels/s",
        "Latences par étape (s) :        n      p50      p99",
    ]
    for step in STEPS:
        values = record.latencies[step]
        lines.append(f"  {step:<16} {len(values):>8} {percentile(values, 0.5):>8.3f} {percentile(values, 0.99):>8.3f}")
    lines.append("CPU par déclaration (ms) et pic de mémoire résidente (Mio) :")
    for name, used in sorted(cpu.items(), key=lambda kv: -kv[1]):
        memory = f"{rss[name]:>8.0f}" if name in rss else "       —"
        lines.append(f"  {name:<16} {1000 * used / done:>8.1f} {memory}")
    lines.append(f"  {'services':<16} {1000 * services_cpu / done:>8.1f}")
    lines.append(f"  {'total':<16} {total_ms:>8.1f}   (client compris)")
    lines.append("Erreurs par étape et statut (0 : pas de réponse ; -1 : réponse inutilisable) :")
    lines += [f"  {step} {status} : {n}" for (step, status), n in sorted(record.errors.items())] or ["  aucune"]
    if record.unanswered:
        lines.append("  sans réponse : " + ", ".join(f"{name} {n}" for name, n in record.unanswered.most_common()))
    lines += [
        "Vérification (base de la déclaration, puis accusés) : "
        f"{result.exactly_once}/{result.declarations} transmises exactement une fois, {result.never} jamais, "
        f"{result.more_than_once} plus d'une fois, {result.answered_but_stored_differently} dont la réponse ne "
        f"dit pas ce qui est stocké, {result.with_receipt} avec leur accusé PDF — "
        f"{'OK' if result.passed else 'ÉCHEC'}",
        "",
        f"Référence de la même exécution : FastAPI nu, {baseline.calls} appels à {flows} flux : "
        f"{baseline.calls_per_second:.0f} appels/s, {baseline.cpu_ms_per_call:.2f} ms de CPU par appel "
        "(serveur + client)",
        f"  une déclaration coûte {total_ms / baseline.cpu_ms_per_call:.0f} appels FastAPI nus de CPU ; "
        f"le rejeu fait {100 * (calls / seconds) / baseline.calls_per_second:.1f} % du débit d'appels nu",
        "",
        "Objectifs (issue 16) :",
        f"  ≥ {TARGET_PER_MINUTE} déclarations/min : {per_minute:.1f} "
        f"({'atteint' if per_minute >= TARGET_PER_MINUTE else 'non atteint'})",
        f"  ≤ {TARGET_CPU_MS} ms CPU/déclaration, client compris : {total_ms:.0f} "
        f"({'atteint' if total_ms <= TARGET_CPU_MS else 'non atteint'})",
        f"  transmission p99 < {TARGET_TRANSMIT_P99_S:.0f} s : {transmit_p99:.2f} s "
        f"({'atteint' if transmit_p99 < TARGET_TRANSMIT_P99_S else 'non atteint'}; l'objectif est à 50 flux)",
        f"  0 erreur : {errors} ({'atteint' if errors == 0 else 'non atteint'})",
    ]
    return "\n".join(lines)
