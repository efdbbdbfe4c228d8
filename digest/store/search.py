"""Full-text search of the stored articles, on the indexes of migration 0005.

Every word of a search must appear in the title, lead or text, also inside a longer word: Korean
attaches particles to nouns (캄보디아 finds 캄보디아에서) and Khmer writes no spaces between words, so
matching whole words would miss both. SQLite: the FTS5 trigram index (a word of one or two
characters, shorter than a trigram, is looked for with LIKE). PostgreSQL: the 'simple' full-text
index for whole words, or the pg_trgm index through ILIKE for parts of words.
"""

from __future__ import annotations

from sqlalchemy import Integer, and_, column, inspect, literal_column, or_, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from digest.store.models import ArticleRow

FTS_TABLE = "articles_fts"
TRIGRAM = 3  # FTS5's trigram index finds strings of three characters or more
# The expressions of migration 0005's PostgreSQL indexes, character for character: the planner uses
# an index on an expression only for that expression.
PG_DOCUMENT = "(articles.title || ' ' || articles.lead || ' ' || articles.text)"
PG_WORDS = f"to_tsvector('simple', left({PG_DOCUMENT}, 100000))"


def search_words(query: str) -> list[str]:
    """The words of a search, each once, in order."""
    return list(dict.fromkeys(query.split()))


def matching(session: Session, query: str) -> ColumnElement[bool]:
    """A condition on `ArticleRow`: every word of `query` is in the article."""
    words = search_words(query)
    if not words:
        return literal_column("1 = 1")
    if session.get_bind().dialect.name == "postgresql":
        return _postgresql(words)
    return _sqlite(words, has_fts=inspect(session.connection()).has_table(FTS_TABLE))


def _like(word: str) -> str:
    """A LIKE pattern for `word` anywhere, its own % and _ escaped."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _sqlite(words: list[str], *, has_fts: bool) -> ColumnElement[bool]:
    indexed = [w for w in words if has_fts and len(w) >= TRIGRAM]
    conditions = [
        or_(
            *(
                c.like(_like(w), escape="\\")
                for c in (ArticleRow.title, ArticleRow.lead, ArticleRow.text)
            )
        )
        for w in words
        if w not in indexed
    ]
    if indexed:
        # Each word as an FTS5 phrase (double quotes doubled): its trigrams in a row, a substring.
        phrase = " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed)
        rowids = text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :phrase")
        rowids = rowids.bindparams(phrase=phrase).columns(column("rowid", Integer))
        conditions.append(ArticleRow.id.in_(rowids))
    return and_(*conditions)


def _postgresql(words: list[str]) -> ColumnElement[bool]:
    document = literal_column(PG_DOCUMENT)
    parts = and_(*(document.ilike(_like(w), escape="\\") for w in words))
    if not all(w.isalnum() for w in words):
        # The word index splits at punctuation (stall_7 would find "stall 7"): parts only.
        return parts
    # Whole words through the word index, or parts of words through the trigram index: the same
    # articles as `parts` alone, found faster when the words stand whole.
    whole = text(f"{PG_WORDS} @@ plainto_tsquery('simple', :search_query)")
    return or_(whole.bindparams(search_query=" ".join(words)), parts)
