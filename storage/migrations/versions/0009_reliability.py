"""Reliability: the outbox relay's leases and retry times, dossier notifications' leases, waiting for a citizen's
supplement (it stops the dossier's clocks), and when an officer last acted on a claimed handover.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as table:
        table.add_column(sa.Column("next_attempt_at", WHEN))
        table.add_column(sa.Column("lease_until", WHEN))
        table.add_column(sa.Column("lease_owner", sa.String(32)))
    op.create_index("outbox_due", "outbox", ["status", "next_attempt_at"])
    with op.batch_alter_table("dossier_notifications") as table:
        table.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        table.add_column(sa.Column("lease_until", WHEN))
        table.add_column(sa.Column("error", sa.Text))
    with op.batch_alter_table("dossiers") as table:
        table.add_column(sa.Column("pauses", sa.JSON, nullable=False, server_default="[]"))
    with op.batch_alter_table("handoffs") as table:
        table.add_column(sa.Column("officer_active_at", WHEN))


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as table:
        table.drop_column("officer_active_at")
    with op.batch_alter_table("dossiers") as table:
        table.drop_column("pauses")
    with op.batch_alter_table("dossier_notifications") as table:
        table.drop_column("error")
        table.drop_column("lease_until")
        table.drop_column("attempts")
    op.drop_index("outbox_due", "outbox")
    with op.batch_alter_table("outbox") as table:
        table.drop_column("lease_owner")
        table.drop_column("lease_until")
        table.drop_column("next_attempt_at")
