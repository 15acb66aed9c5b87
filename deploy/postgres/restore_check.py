#!/usr/bin/env python3
"""Consistency check of a restored AFAS service database (docs/operations/backup-and-restore.md, step 4).

    uv run --python python3 python deploy/postgres/restore_check.py SERVICE RESTORED_URL [--against SOURCE_URL]

Checks that the restored database
- is at the Alembic head of the service's migrations (the image you restart on migrates forward at start, but a
  restore *ahead* of the image, or without ``alembic_version``, is a wrong dump);
- has every table of the source with the same number of rows (with ``--against``: the database the dump came from,
  or a second restore of the same dump);
- has its outbox drained: rows not yet published (``sent_at IS NULL``) are events the restored service will publish
  again at start — harmless, the bus drops a duplicate id inside its window and every consumer's inbox skips it
  after, but listed so the operator knows;
- keeps its inbox (the consumers' idempotency record): with ``--against``, as many rows as the source.

Prints one line per finding; exit status 1 when the restore is inconsistent.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

from afas_shared.db.engine import sync_url
from afas_shared.db.migrations import alembic_config

SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")


@dataclass
class Snapshot:
    """What a database holds, as far as the check compares it."""

    revision: str | None
    rows: dict[str, int] = field(default_factory=dict)
    outbox_pending: int = 0


def head_revision(service: str, database_url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(f"afas_{service}", database_url)).get_current_head()
    assert head is not None, f"afas_{service} has no migration"
    return head


def snapshot(database_url: str) -> Snapshot:
    engine = sa.create_engine(sync_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            tables = sorted(sa.inspect(connection).get_table_names())
            rows = {
                name: int(connection.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one())
                for name in tables
            }
            revision = (
                connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
                if "alembic_version" in tables
                else None
            )
            pending = (
                int(connection.execute(sa.text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar_one())
                if "outbox" in tables
                else 0
            )
    finally:
        engine.dispose()
    return Snapshot(revision, rows, pending)


def check(service: str, restored_url: str, source_url: str | None = None) -> tuple[list[str], list[str]]:
    """(problems, notes) of a restored service database; no problem means consistent."""
    restored = snapshot(restored_url)
    problems, notes = [], []
    head = head_revision(service, restored_url)
    if restored.revision != head:
        problems.append(f"alembic revision {restored.revision!r}, the migrations' head is {head!r}")
    if "outbox" not in restored.rows or "inbox" not in restored.rows:
        problems.append("no outbox or inbox table: not an AFAS service database")
    if restored.outbox_pending:
        notes.append(f"{restored.outbox_pending} outbox event(s) not yet published: sent again at start (deduplicated)")
    if source_url is not None:
        source = snapshot(source_url)
        for table in sorted(set(source.rows) | set(restored.rows)):
            expected, found = source.rows.get(table), restored.rows.get(table)
            if expected != found:
                problems.append(f"table {table}: {found} row(s) restored, {expected} in the source")
        if source.outbox_pending != restored.outbox_pending:
            problems.append(f"outbox pending {restored.outbox_pending}, {source.outbox_pending} in the source")
    notes.append(f"{len(restored.rows)} tables, {sum(restored.rows.values())} rows, revision {restored.revision}")
    return problems, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("restored_url", help="the restored database (postgresql://…)")
    parser.add_argument("--against", metavar="SOURCE_URL", help="the database the dump came from, to compare rows")
    args = parser.parse_args(argv)
    problems, notes = check(args.service, args.restored_url, args.against)
    for note in notes:
        print(f"note: {note}")
    for problem in problems:
        print(f"INCONSISTENT: {problem}", file=sys.stderr)
    print("restore consistent" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
