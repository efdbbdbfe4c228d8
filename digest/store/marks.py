"""An analyst's corrections (`ckmon mark`), kept beside the automatic verdicts: where an article has
one, the digest, `ckmon articles` and `ckmon explain` follow it, and tagging again leaves it alone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from digest.store.models import ArticleRow, Mark


def relevant_in_digest() -> ColumnElement[bool]:
    """Relevant as the digest sees it: the mark if there is one, else the automatic verdict (the
    query joins `Mark` with an outer join)."""
    return func.coalesce(Mark.relevant, ArticleRow.relevant)


def topics_in_digest(automatic: list[str] | None, marked: list[str] | None) -> list[str]:
    """The analyst's topics where given, else the automatic ones."""
    return list(marked if marked is not None else automatic or [])


def set_mark(
    session: Session, article: ArticleRow, relevant: bool, topics: list[str] | None, now: datetime
) -> Mark:
    """Record (or replace) the analyst's verdict on `article`; the caller commits."""
    mark = session.get(Mark, article.id)
    if mark is None:
        mark = Mark(article_id=article.id)
        session.add(mark)
    mark.relevant, mark.topics, mark.marked_at = relevant, topics, now
    return mark


def clear_mark(session: Session, article: ArticleRow) -> bool:
    """Drop the analyst's verdict on `article`, if any; the automatic one stands again."""
    mark = session.get(Mark, article.id)
    if mark is not None:
        session.delete(mark)
    return mark is not None
