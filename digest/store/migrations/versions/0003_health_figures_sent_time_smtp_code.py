"""crawl health figures, edition sent time, delivery SMTP code

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:42:38.314664
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("articles_extracted", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("skipped_seen", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("refused", sa.Integer(), server_default="0", nullable=False))

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("smtp_code", sa.Integer(), nullable=True))

    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.drop_column("sent_at")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("smtp_code")

    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("refused")
        batch_op.drop_column("skipped_seen")
        batch_op.drop_column("articles_extracted")
