"""Migration 0007: the copies held before it keep their place in the order declaration publishes (issue 14), so an
event already applied stays stale and a later one is still applied."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from afas_shared.db.migrations import upgrade

PACKAGE = "afas_notification"


def test_held_outcomes_and_forms_become_the_published_order(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'notification.db'}"
    upgrade(PACKAGE, url, "0006")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'notification.db'}")
    # (outcome, version, rank) as 0006 kept them: transmitted v1, refused v1, validated v2, nothing yet
    outcomes = {
        uuid.uuid4(): ("transmise", 1, 1, 11),
        uuid.uuid4(): ("refusee", 1, 2, 12),
        uuid.uuid4(): ("validee", 2, 3, 22),
        uuid.uuid4(): (None, 0, 0, 0),
    }
    # (form_version, filled): saved v2, sent back after v2, never saved
    forms = {uuid.uuid4(): (2, True, 20), uuid.uuid4(): (2, False, 21), uuid.uuid4(): (0, False, 1)}
    with engine.begin() as db:
        for declaration_id, (outcome, version, rank, _) in outcomes.items():
            db.execute(
                sa.text(
                    "INSERT INTO declaration_copy (declaration_id, activity_id, expected, version, ready, outcome, "
                    "outcome_version, outcome_rank, cancelled) VALUES (:d, :a, 1, 1, 0, :o, :v, :r, 0)"
                ),
                {"d": declaration_id.hex, "a": uuid.uuid4().hex, "o": outcome, "v": version, "r": rank},
            )
        for form_id, (version, filled, _) in forms.items():
            db.execute(
                sa.text(
                    "INSERT INTO form_copy (form_id, declaration_id, kind, requested, filled, form_version) "
                    "VALUES (:f, :d, 'activite', 1, :filled, :v)"
                ),
                {"f": form_id.hex, "d": uuid.uuid4().hex, "filled": filled, "v": version},
            )
    upgrade(PACKAGE, url, "0007")
    with engine.begin() as db:
        held = dict(db.execute(sa.text("SELECT declaration_id, outcome_order FROM declaration_copy")).all())
        held_forms = dict(db.execute(sa.text("SELECT form_id, form_order FROM form_copy")).all())
    assert {uuid.UUID(str(k)): v for k, v in held.items()} == {k: v[3] for k, v in outcomes.items()}
    assert {uuid.UUID(str(k)): v for k, v in held_forms.items()} == {k: v[2] for k, v in forms.items()}
    engine.dispose()
