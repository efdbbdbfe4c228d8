"""Is an article URL already stored? Asked before requesting it, so known articles cost nothing."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from digest.store import ArticleRow
from digest.urls import canonical_url


def is_stored(session: Session, url: str) -> bool:
    """True if `url`, in canonical form or exactly as fetched before, is in the store."""
    key = canonical_url(url)
    found = session.scalar(
        select(ArticleRow.id).where(or_(ArticleRow.canonical_url == key, ArticleRow.url == url))
    )
    return found is not None
