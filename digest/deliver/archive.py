"""The archive folder: each edition as a standalone web page, an index of them and an Atom feed.

The folder is meant to be published, so its files are readable by everyone (a web server's user
among them), unlike the outbox's.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.deliver.mail import write_atomic
from digest.deliver.render import FEED_NAME, INDEX_NAME, IndexEntry, page_name, render_index
from digest.store.models import Edition

PUBLIC = 0o644  # the archive is published: a web server must read it
FEED_ENTRIES = 30
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # an empty feed still needs an `updated`


def page_url(archive_url: str, key: str) -> str:
    """The public address of an edition's page, or '' when no archive URL is configured."""
    return f"{archive_url.rstrip('/')}/{page_name(key)}" if archive_url else ""


def write_page(html: str, archive: Path, key: str) -> Path:
    """Keep the edition as a web page: readable in a browser, linkable, archived."""
    return write_atomic(html.encode("utf-8"), archive / page_name(key), mode=PUBLIC)


def _entry_id(archive_url: str, key: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"ckmon-edition:{archive_url}:{key}").urn


def write_feed(session: Session, archive: Path, archive_url: str, tz: ZoneInfo) -> Path:
    """`editions.atom` listing the latest editions, newest first; links are relative to the folder
    unless `archive_url` is set."""
    editions = list(
        session.scalars(select(Edition).order_by(Edition.until.desc()).limit(FEED_ENTRIES))
    )
    fg = FeedGenerator()
    fg.id(_entry_id(archive_url, "feed"))
    fg.title("Cambodia–Korea media digest")
    fg.subtitle("Weekly editions of ckmon, a monitor of Cambodia–Korea relations in the media")
    fg.author({"name": "ckmon"})
    fg.generator("ckmon")
    fg.language("en")
    if archive_url:
        fg.link(href=f"{archive_url.rstrip('/')}/{FEED_NAME}", rel="self")
    fg.updated(max((e.built_at for e in editions), default=EPOCH))
    for edition in reversed(editions):  # feedgen prepends: add oldest first, newest ends on top
        local = edition.until.astimezone(tz)
        since = edition.since.astimezone(tz).strftime("%d %b %Y") if edition.since else "the start"
        noun = "story" if edition.stories == 1 else "stories"
        entry = fg.add_entry()
        entry.id(_entry_id(archive_url, edition.key))
        entry.title(f"Week {edition.key}: {edition.stories} {noun}")
        entry.link(href=page_url(archive_url, edition.key) or page_name(edition.key))
        entry.updated(edition.built_at)
        entry.published(edition.built_at)
        entry.summary(
            f"{edition.stories} {noun} about Cambodia–Korea relations, "
            f"articles stored from {since} to {local:%d %b %Y %H:%M %Z}."
        )
    return write_atomic(fg.atom_str(pretty=True), archive / FEED_NAME, mode=PUBLIC)


def write_index(session: Session, archive: Path, tz: ZoneInfo) -> Path:
    """`index.html`, every edition newest first: where the digest's footer sends readers."""

    def day(when: datetime) -> str:
        return when.astimezone(tz).strftime("%d %b %Y")

    entries = [
        IndexEntry(
            e.key, page_name(e.key), e.stories, day(e.since) if e.since else "", day(e.until)
        )
        for e in session.scalars(select(Edition).order_by(Edition.until.desc()))
    ]
    return write_atomic(render_index(entries).encode("utf-8"), archive / INDEX_NAME, mode=PUBLIC)
