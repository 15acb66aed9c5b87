"""Controls, justifications and send-backs; transmitted versions with their receipts; partners; idempotency.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("declaration") as batch:
        batch.add_column(sa.Column("controls", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("controlled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("justifications", sa.Text(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("complement", sa.Text(), nullable=True))
        batch.add_column(sa.Column("refusal_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("declaration_form") as batch:
        batch.add_column(sa.Column("sent_back_comment", sa.Text(), nullable=True))
        batch.add_column(sa.Column("sent_back_by_name", sa.String(200), nullable=True))
    op.create_table(
        "transmission",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("declaration_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("signer_id", sa.Uuid(), nullable=False),
        sa.Column("signer_name", sa.String(200), nullable=False),
        sa.Column("transmitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("receipt", sa.LargeBinary(), nullable=False),
        sa.Column("decision", sa.String(20), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_by_name", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("declaration_id", "version"),
    )
    op.create_table(
        "partner_copy",
        sa.Column("partner_id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("siret", sa.String(14), nullable=False),
        sa.Column("caf_code", sa.String(3), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "idempotency_record",
        sa.Column("owner", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("idempotency_record")
    op.drop_table("partner_copy")
    op.drop_table("transmission")
    with op.batch_alter_table("declaration_form") as batch:
        batch.drop_column("sent_back_by_name")
        batch.drop_column("sent_back_comment")
    with op.batch_alter_table("declaration") as batch:
        for column in ("refusal_reason", "complement", "justifications", "controlled_at", "controls"):
            batch.drop_column(column)
