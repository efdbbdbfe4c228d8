"""Is an article URL already stored? Asked before requesting it, so known articles cost nothing."""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from digest.analysis.urls import canonical_url
from digest.store.models import ArticleRow

# Built once: the check runs before every article request. Both columns are indexed, so SQLite
# answers the OR from the two indexes instead of scanning the table.
STORED = select(ArticleRow.id).where(
    or_(ArticleRow.canonical_url == bindparam("key"), ArticleRow.url == bindparam("url"))
)


def is_stored(session: Session | Connection, url: str) -> bool:
    """True if `url`, in canonical form or exactly as fetched before, is in the store."""
    found = session.scalar(STORED, {"key": canonical_url(url), "url": url})
    return found is not None
