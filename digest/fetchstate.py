"""Conditional GET for discovery URLs: stored validators, with a periodic unconditional fetch.

Some servers answer 304 even when a feed has changed, so every `full_every` a feed is fetched whole.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from digest.store import FetchState


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
    """Store the validators of a 200 answer; `full` when it answered an unconditional request."""
    state = session.get(FetchState, url)
    if state is None:
        state = FetchState(url=url, etag="", last_modified="")
        session.add(state)
    state.etag = etag[:512]
    state.last_modified = last_modified[:128]
    if full or state.last_full_fetch_at is None:
        state.last_full_fetch_at = now
    session.commit()
