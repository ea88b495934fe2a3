"""Handover: requests for an officer (one open per conversation) and officers' presence.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
OPEN = sa.text("status IN ('waiting', 'claimed')")


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(12), nullable=False),
        sa.Column("requested_at", WHEN, nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_at", WHEN),
        sa.Column("ended_at", WHEN),
        sa.Column("contact_phone", sa.String(30)),
        sa.Column("last_answer", sa.Text),
    )
    op.create_index("handoffs_by_conversation", "handoffs", ["channel", "sender_id", "status"])
    op.create_index("handoffs_one_open", "handoffs", ["channel", "sender_id"], unique=True,
                    sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_table(
        "staff_presence",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("last_seen", WHEN, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_presence")
    op.drop_table("handoffs")
