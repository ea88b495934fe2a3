"""Dossiers: records, history, access counters, verifications, subscriptions, notifications.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dossiers",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("procedure_code", sa.String(20), nullable=False),
        sa.Column("applicant_name", sa.Text, nullable=False),
        sa.Column("phone", sa.String(30), nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("due_at", WHEN, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("current_office", sa.Text, nullable=False),
        sa.Column("delivery_method", sa.String(20), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("stages", sa.JSON, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_index("ix_dossiers_status", "dossiers", ["status"])
    op.create_table(
        "dossier_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stage", sa.Text),
        sa.Column("changes", sa.JSON, nullable=False),
    )
    op.create_index("ix_dossier_history_code", "dossier_history", ["code"])
    op.create_table(
        "dossier_access",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("conversation_id", sa.String(160), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("at", WHEN, nullable=False),
    )
    op.create_index("dossier_access_by_conversation", "dossier_access", ["kind", "conversation_id", "at"])
    op.create_index("dossier_access_by_code", "dossier_access", ["kind", "code", "at"])
    op.create_table(
        "dossier_verifications",
        sa.Column("conversation_id", sa.String(160), primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("verified_at", WHEN, nullable=False),
    )
    op.create_table(
        "dossier_subscriptions",
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("sender_id", sa.String(128), primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index("ix_dossier_subscriptions_code", "dossier_subscriptions", ["code"])
    op.create_table(
        "dossier_notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index("ix_dossier_notifications_status", "dossier_notifications", ["status"])


def downgrade() -> None:
    for table in ("dossier_notifications", "dossier_subscriptions", "dossier_verifications", "dossier_access",
                  "dossier_history", "dossiers"):
        op.drop_table(table)
