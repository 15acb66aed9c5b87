"""« Mes déclarations » of a Caf agent, a page at a time without sorting the Caf's rows (issue 16): the activity's
name copied onto its declarations, and the index the list's order reads.

The list is ordered by exercice (latest first), activity name, id. With the name only on ``activity_copy``, the
first page of a Caf holding 20,000 declarations joined and sorted all of them (65–81 ms a query). With the name on
the declaration, the first page is a range scan of (caf_code, exercice DESC, activity_name, id) that stops after
the page; that index also serves what (caf_code, exercice) of migration 0010 served, which it replaces.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("declaration") as batch:
        batch.add_column(sa.Column("activity_name", sa.String(200), nullable=False, server_default=""))
    op.execute(
        "UPDATE declaration SET activity_name = (SELECT a.name FROM activity_copy a "
        "WHERE a.activity_id = declaration.activity_id) "
        "WHERE EXISTS (SELECT 1 FROM activity_copy a WHERE a.activity_id = declaration.activity_id)"
    )
    op.create_index(
        "ix_declaration_caf_list", "declaration", ["caf_code", sa.text("exercice DESC"), "activity_name", "id"]
    )
    op.drop_index("ix_declaration_caf_code_exercice", table_name="declaration")


def downgrade() -> None:
    op.create_index("ix_declaration_caf_code_exercice", "declaration", ["caf_code", "exercice"])
    op.drop_index("ix_declaration_caf_list", table_name="declaration")
    with op.batch_alter_table("declaration") as batch:
        batch.drop_column("activity_name")
