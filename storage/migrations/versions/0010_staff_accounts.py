"""Staff accounts that can be disabled, sessions that end after an idle time, and the lease of a channel's token
refresh (one gateway refreshes, the others wait for the new pair).

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as table:
        table.add_column(sa.Column("disabled_at", WHEN))
    with op.batch_alter_table("staff_sessions") as table:
        table.add_column(sa.Column("last_seen_at", WHEN))
    with op.batch_alter_table("channel_credentials") as table:
        table.add_column(sa.Column("refresh_lease_until", WHEN))


def downgrade() -> None:
    with op.batch_alter_table("channel_credentials") as table:
        table.drop_column("refresh_lease_until")
    with op.batch_alter_table("staff_sessions") as table:
        table.drop_column("last_seen_at")
    with op.batch_alter_table("staff_users") as table:
        table.drop_column("disabled_at")
