"""Barème changes (overrides, audit, versions), declarations' figures and estimates, re-estimation jobs,
entitlements, payment facts and published payments.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "bareme_version",
        sa.Column("family", sa.String(30), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", tz, nullable=False),
    )
    op.create_table(
        "parameter_override",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("family", sa.String(30), nullable=False, index=True),
        sa.Column("parameter", sa.String(60), nullable=False),
        sa.Column("nature", sa.String(40), nullable=True),
        sa.Column("applies_from", sa.Date(), nullable=False),
        sa.Column("value", sa.String(40), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("changed_at", tz, nullable=False),
    )
    op.create_table(
        "parameter_change",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("family", sa.String(30), nullable=False, index=True),
        sa.Column("parameter", sa.String(60), nullable=False),
        sa.Column("nature", sa.String(40), nullable=True),
        sa.Column("applies_from", sa.Date(), nullable=False),
        sa.Column("old_value", sa.String(40), nullable=True),
        sa.Column("old_since", sa.Date(), nullable=True),
        sa.Column("old_provenance", sa.Text(), nullable=True),
        sa.Column("new_value", sa.String(40), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("changed_by_kind", sa.String(20), nullable=False),
        sa.Column("changed_by_caf", sa.String(3), nullable=True),
        sa.Column("changed_at", tz, nullable=False),
    )
    op.create_table(
        "declaration_figures",
        sa.Column("declaration_id", sa.Uuid(), primary_key=True),
        sa.Column("declaration_version", sa.Integer(), nullable=False),
        sa.Column("figures_version", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("caf_code", sa.String(3), nullable=False),
        sa.Column("family", sa.String(30), nullable=False),
        sa.Column("nature", sa.String(40), nullable=False),
        sa.Column("exercice", sa.Integer(), nullable=False),
        sa.Column("declaration_type", sa.String(30), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("closed_as", sa.String(20), nullable=True),
        sa.Column("updated_at", tz, nullable=False),
    )
    op.create_index("ix_declaration_figures_family_open", "declaration_figures", ["family", "open", "declaration_id"])
    op.create_table(
        "declaration_estimate",
        sa.Column("declaration_id", sa.Uuid(), primary_key=True),
        sa.Column("amount", sa.String(20), nullable=True),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("bareme_version", sa.Integer(), nullable=False),
        sa.Column("bareme_fingerprint", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("computed_at", tz, nullable=False),
    )
    op.create_table(
        "reestimation_job",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("family", sa.String(30), nullable=False),
        sa.Column("nature", sa.String(40), nullable=True),
        sa.Column("applies_from", sa.Date(), nullable=False),
        sa.Column("cursor", sa.Uuid(), nullable=True),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("revised", sa.Integer(), nullable=False),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("finished_at", tz, nullable=True, index=True),
    )
    op.create_table(
        "entitlement",
        sa.Column("declaration_id", sa.Uuid(), primary_key=True),
        sa.Column("declaration_version", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("caf_code", sa.String(3), nullable=False),
        sa.Column("family", sa.String(30), nullable=False),
        sa.Column("nature", sa.String(40), nullable=False),
        sa.Column("exercice", sa.Integer(), nullable=False),
        sa.Column("declaration_type", sa.String(30), nullable=False),
        sa.Column("amount", sa.String(20), nullable=True),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("bareme_version", sa.Integer(), nullable=False),
        sa.Column("bareme_fingerprint", sa.String(64), nullable=False),
        sa.Column("validated_at", tz, nullable=False),
        sa.Column("computed_at", tz, nullable=False),
    )
    op.create_table(
        "payment_fact",
        sa.Column("declaration_id", sa.Uuid(), primary_key=True),
        sa.Column("activity_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("caf_code", sa.String(3), nullable=False),
        sa.Column("exercice", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("entitlement", sa.String(20), nullable=False),
        sa.Column("validated_at", tz, nullable=False),
        sa.Column("forecast_gap_justified", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "published_payment",
        sa.Column("activity_id", sa.Uuid(), primary_key=True),
        sa.Column("payment_key", sa.String(40), primary_key=True),
        sa.Column("exercice", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount", sa.String(20), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("policy_id", sa.String(40), nullable=False),
        sa.Column("published_at", tz, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "published_payment",
        "payment_fact",
        "entitlement",
        "reestimation_job",
        "declaration_estimate",
    ):
        op.drop_table(table)
    op.drop_index("ix_declaration_figures_family_open", table_name="declaration_figures")
    for table in ("declaration_figures", "parameter_change", "parameter_override", "bareme_version"):
        op.drop_table(table)
