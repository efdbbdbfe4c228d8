"""settings: the instance id

A random id made once per store: the mail's Message-IDs hash it in, so two installations (the
demo's store, a test folder, the real one) never give two different messages the same Message-ID,
which mail clients take for one message.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 20:10:37.189719
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    settings = op.create_table(
        "settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(settings, [{"name": "instance_id", "value": uuid.uuid4().hex}])


def downgrade() -> None:
    op.drop_table("settings")
