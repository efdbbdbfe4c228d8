"""index on articles.url

The seen-URL check (`digest.fetch.seen.is_stored`) looks an article URL up by its canonical form or as
fetched; without this index the second half scanned the whole table before every article request.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:11:32.644234
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite creates an index in place: no copy of the table.
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articles_url"), ["url"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_url"))
