"""From store to mail: build the edition, render it, write it to the outbox, record the delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.config import Config
from digest.edition import build, is_due
from digest.mail import compose, write_outbox
from digest.render import render
from digest.store import Delivery, Edition

OUTBOX_RECIPIENT = "outbox"


@dataclass
class Published:
    key: str
    stories: int
    paths: list[Path]
    page: Path  # the edition as a standalone HTML page in the archive


def _file_name(key: str, recipient: str) -> str:
    safe = "".join(c if c.isalnum() or c in "@.-" else "_" for c in recipient)
    return f"ckmon-{key}" if recipient == OUTBOX_RECIPIENT else f"ckmon-{key}-{safe}"


def write_edition(session: Session, config: Config, now: datetime) -> tuple[Edition, Published]:
    """Build (or refresh) this week's pending edition and write one .eml per recipient."""
    edition, view = build(session, now, config.timezone)
    html, text = render(view, generated=now)
    paths = []
    for recipient in config.mail_to or (OUTBOX_RECIPIENT,):
        msg = compose(
            edition_key=edition.key,
            stories=view.story_count,
            html=html,
            text=text,
            sender=config.mail_from,
            recipient=recipient if recipient != OUTBOX_RECIPIENT else config.mail_from,
            date=now,
            reply_to=config.reply_to,
            list_unsubscribe=config.list_unsubscribe,
        )
        paths.append(write_outbox(msg, config.outbox, _file_name(edition.key, recipient)))
    page = write_page(html, config.archive, edition.key)
    return edition, Published(edition.key, view.story_count, paths, page)


def write_page(html: str, archive: Path, key: str) -> Path:
    """Keep the edition as a web page: readable in a browser, linkable, archived."""
    archive.mkdir(parents=True, exist_ok=True)
    target = archive / f"ckmon-{key}.html"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(target)
    return target


def publish_due(session: Session, config: Config, now: datetime) -> Published | None:
    """Write and deliver the edition that is due, if one is; the outbox transport delivers by writing."""
    if not is_due(session, now, config.timezone, config.send_weekday, config.send_time):
        return None
    edition, published = write_edition(session, config, now)
    for recipient, path in zip(config.mail_to or (OUTBOX_RECIPIENT,), published.paths, strict=True):
        delivery = session.scalars(
            select(Delivery).where(
                Delivery.edition_id == edition.id, Delivery.recipient == recipient
            )
        ).first()
        if delivery is None:
            delivery = Delivery(
                edition_id=edition.id, recipient=recipient, message_id="", attempts=0
            )
            session.add(delivery)
        delivery.outbox_path = str(path)
        delivery.status, delivery.sent_at, delivery.attempts = "sent", now, delivery.attempts + 1
    edition.status = "sent"
    session.commit()
    return published
