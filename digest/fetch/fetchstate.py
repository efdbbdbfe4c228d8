"""Conditional GET for discovery URLs: stored validators, with a periodic unconditional fetch.

Some servers answer 304 even when a feed has changed, so every `full_every` a feed is fetched whole.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.orm import Session

from digest.store.engine import dialect_insert
from digest.store.models import FetchState


def conditional_headers(
    session: Session, url: str, now: datetime, full_every: timedelta
) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for `url`, or {} when a full fetch is due."""
    state = session.get(FetchState, url)
    if state is None or not (state.etag or state.last_modified):
        return {}
    if state.last_full_fetch_at is None or now - state.last_full_fetch_at >= full_every:
        return {}
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def remember(
    session: Session, url: str, *, etag: str, last_modified: str, full: bool, now: datetime
) -> None:
    """Store the validators of a 200 answer; `full` when it answered an unconditional request.

    An upsert: several crawl workers read the same feed and save its validators as they finish.
    """
    insert = dialect_insert(session)(FetchState).values(
        url=url, etag=etag[:512], last_modified=last_modified[:128], last_full_fetch_at=now
    )
    # A 200 to a conditional request keeps the full-fetch clock, unless it never started.
    full_fetch_at = (
        insert.excluded.last_full_fetch_at
        if full
        else func.coalesce(FetchState.last_full_fetch_at, insert.excluded.last_full_fetch_at)
    )
    upsert = insert.on_conflict_do_update(
        index_elements=[FetchState.url],
        set_={
            "etag": insert.excluded.etag,
            "last_modified": insert.excluded.last_modified,
            "last_full_fetch_at": full_fetch_at,
        },
    )
    # RETURNING refreshes a row this session has loaded already, so it reads the saved values.
    session.scalars(
        upsert.returning(FetchState), execution_options={"populate_existing": True}
    ).one()
    session.commit()
