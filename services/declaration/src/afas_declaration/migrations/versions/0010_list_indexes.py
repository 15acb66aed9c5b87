"""Lists read a page at a time (issue 16): the indexes their scope and order seek.

A Caf agent's « Mes déclarations » is scoped by the Caf and ordered by exercice first; the Caf's instruction queue
by the time of the transmission, the longest waiting first.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_declaration_caf_code_exercice", "declaration", ["caf_code", "exercice"])
    op.create_index("ix_transmission_transmitted_at", "transmission", ["transmitted_at", "declaration_id"])


def downgrade() -> None:
    op.drop_index("ix_transmission_transmitted_at", table_name="transmission")
    op.drop_index("ix_declaration_caf_code_exercice", table_name="declaration")
