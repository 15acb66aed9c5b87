"""Partners, conventions, groups, sessions, login throttling, one-time links, signing keys, audit;
user accounts gain their full data.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "partner",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("siret", sa.String(14), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("caf_code", sa.String(3), nullable=False, index=True),
        sa.Column("delegated", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "convention",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partner_id", sa.Uuid(), sa.ForeignKey("partner.id"), nullable=False, index=True),
        sa.Column("caf_code", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("opening_date", sa.Date(), nullable=False),
        sa.Column("closing_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("signed_at", TZ, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("kind", sa.String(10), nullable=False, server_default="partner"))
        batch.add_column(sa.Column("caf_code", sa.String(3), nullable=True))
        batch.add_column(sa.Column("caf_roles", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("phone", sa.String(20), nullable=True))
        batch.add_column(sa.Column("mobility", sa.String(10), nullable=False, server_default="sedentaire"))
        batch.add_column(sa.Column("opening_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("closing_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("status", sa.String(12), nullable=False, server_default="en_attente"))
        batch.add_column(sa.Column("suspension_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("password_hash", sa.Text(), nullable=True))
        batch.add_column(sa.Column("password_change_required", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("last_login_at", TZ, nullable=True))
        batch.add_column(sa.Column("previous_login_at", TZ, nullable=True))
    op.create_table(
        "group_membership",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("user_account.id"), nullable=False, index=True),
        sa.Column("partner_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("group", sa.String(20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
    )
    op.create_table(
        "login_session",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_activity_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("revoke_reason", sa.String(40), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
    )
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", TZ, nullable=True),
        sa.Column("locked_until", TZ, nullable=True),
    )
    op.create_table(
        "one_time_link",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ, nullable=True),
    )
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("retired_at", TZ, nullable=True),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_kind", sa.String(10), nullable=False),
        sa.Column("actor_address", sa.String(64), nullable=True),
        sa.Column("partner_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(100), nullable=True),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for table in ("audit_entry", "signing_key", "one_time_link", "login_throttle", "login_session", "group_membership"):
        op.drop_table(table)
    with op.batch_alter_table("user_account") as batch:
        for column in (
            "previous_login_at",
            "last_login_at",
            "password_change_required",
            "password_hash",
            "suspension_reason",
            "status",
            "closing_date",
            "opening_date",
            "mobility",
            "phone",
            "caf_roles",
            "caf_code",
            "kind",
        ):
            batch.drop_column(column)
    op.drop_table("convention")
    op.drop_table("partner")
