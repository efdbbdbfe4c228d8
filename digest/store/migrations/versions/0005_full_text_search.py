"""full-text search of articles

`ckmon articles --search` finds a word inside longer words too: Korean attaches particles to nouns
(캄보디아에서 must be found by 캄보디아) and Khmer puts no spaces between words, so an index of
whitespace-separated words would miss both. SQLite: an FTS5 table with the trigram tokenizer (SQLite
3.34 or later), an external-content table over `articles` kept in step by triggers. PostgreSQL: a
GIN full-text index ('simple' configuration: no stemmer knows Korean or Khmer) for whole words, and a
pg_trgm GIN index that serves ILIKE for parts of words.

These objects are not models: `digest.store.migrate.UNMODELLED` keeps them out of the comparison of
models and migrations. A later migration that rebuilds `articles` in SQLite's batch mode drops the
triggers with the old table and must create them again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 20:10:00.000000
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

log = logging.getLogger("digest.store.migrate")

# The document both PostgreSQL indexes cover; digest.store.search queries this very expression, or
# the planner would not use them (a test reads the plan). tsvector holds at most 1 MB: a word index
# of the first 100,000 characters, the trigrams of all.
PG_DOCUMENT = "(title || ' ' || lead || ' ' || text)"
PG_WORDS = f"to_tsvector('simple', left({PG_DOCUMENT}, 100000))"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_upgrade(bind)
    elif bind.dialect.name == "postgresql":
        _postgresql_upgrade(bind)


def _sqlite_upgrade(bind: sa.Connection) -> None:
    version = tuple(int(p) for p in bind.scalar(sa.text("SELECT sqlite_version()")).split("."))
    if version < (3, 34):
        log.warning(
            "SQLite %s has no trigram tokenizer (3.34 or later): searches scan the articles",
            ".".join(map(str, version)),
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5(title, lead, text, "
        "content='articles', content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
        "INSERT INTO articles_fts(rowid, title, lead, text) "
        "VALUES (new.id, new.title, new.lead, new.text); END"
    )
    op.execute(
        "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
        "INSERT INTO articles_fts(articles_fts, rowid, title, lead, text) "
        "VALUES ('delete', old.id, old.title, old.lead, old.text); END"
    )
    # Only when an indexed column is written: the cluster id set after every insert costs nothing.
    op.execute(
        "CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, lead, text ON articles BEGIN "
        "INSERT INTO articles_fts(articles_fts, rowid, title, lead, text) "
        "VALUES ('delete', old.id, old.title, old.lead, old.text); "
        "INSERT INTO articles_fts(rowid, title, lead, text) "
        "VALUES (new.id, new.title, new.lead, new.text); END"
    )
    op.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")  # the stored articles


def _postgresql_upgrade(bind: sa.Connection) -> None:
    op.execute(f"CREATE INDEX ix_articles_search_words ON articles USING gin ({PG_WORDS})")
    try:
        with bind.begin_nested():  # a role that may not create extensions keeps the rest
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as exc:
        log.warning(
            "no pg_trgm extension (%s): searches for parts of words scan the articles; "
            "a superuser can run CREATE EXTENSION pg_trgm and then the migration's index",
            str(exc.orig).strip().splitlines()[0],
        )
        return
    op.execute(
        f"CREATE INDEX ix_articles_search_trigrams ON articles USING gin ({PG_DOCUMENT} gin_trgm_ops)"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS articles_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search_trigrams")
        op.execute("DROP INDEX IF EXISTS ix_articles_search_words")
