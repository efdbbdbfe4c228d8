"""marks: an analyst's corrections

`ckmon mark` records whether an article is relevant (and its topics) beside the automatic verdict,
not over it: tagging the articles again leaves the corrections, and `ckmon articles --marked`
exports both, so the rules can be measured against them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 20:07:44.080506
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "marks",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=False),
        sa.Column("topics", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )


def downgrade() -> None:
    op.drop_table("marks")
