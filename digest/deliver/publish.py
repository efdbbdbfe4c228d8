"""From store to mail: cut the edition, render it, write it to the outbox, deliver it, record it.

Every recipient has its own delivery row; a message is written to the outbox before it is sent and
the outbox copy is what goes out, so a retry sends the same bytes, and a sent delivery is never
sent again. The outbox transport delivers by writing; the SMTP transport sends the outbox copy.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.analysis.topics import topic_labels
from digest.config import Config, DigestConfig, MailConfig, SmtpConfig
from digest.crashpoints import crashpoint
from digest.deliver.archive import page_url, write_feed, write_index, write_page
from digest.deliver.edition import (
    EditionView,
    adhoc,
    build,
    cut,
    draft,
    is_due,
    pending_edition,
    view_of,
)
from digest.deliver.health import HealthLimits
from digest.deliver.mail import address_of, compose, default_list_id, write_atomic, write_outbox
from digest.deliver.render import Rendered, render, render_mail
from digest.deliver.smtp import SmtpTransport
from digest.errors import DeliveryError, OutputError, os_reason
from digest.store.instance import instance_id
from digest.store.models import Delivery, Edition

__all__ = [
    "Preview",
    "Published",
    "Publishing",
    "publish_due",
    "write_edition",
    "write_page",
    "write_preview",
]

log = logging.getLogger(__name__)

OUTBOX_RECIPIENT = "outbox"


@dataclass
class Published:
    key: str
    stories: int
    paths: list[Path]  # one .eml per recipient, in the outbox
    page: Path  # the edition as a standalone HTML page in the archive
    sent: list[str] = field(default_factory=list)  # delivered by this call
    pending: list[tuple[str, str]] = field(default_factory=list)  # (recipient, why): next run
    failed: list[tuple[str, str]] = field(default_factory=list)  # (recipient, reply): permanent
    shortened: bool = False  # the mail shows fewer stories than the page
    error: str = ""  # the server could not be used at all
    written_only: bool = False  # the outbox transport: "delivered" means written to the outbox

    @property
    def complete(self) -> bool:
        return not self.pending and not self.failed and not self.error


@dataclass
class Preview:
    key: str
    stories: int
    html: Path
    text: Path
    eml: Path
    shortened: bool = False


@dataclass(frozen=True)
class Publishing:
    """What publishing reads: the [digest], [mail], [smtp] and [health] tables and the topic
    labels' file. Built from the whole config by `from_config`; nothing else of it comes here."""

    digest: DigestConfig
    mail: MailConfig
    smtp: SmtpConfig
    health: HealthLimits = field(default_factory=HealthLimits)
    topics_file: Path | None = None
    subject_tag: str = ""  # before the mail's subject: "[sample]" for `ckmon demo`'s edition

    @classmethod
    def from_config(cls, config: Config) -> Publishing:
        limits = HealthLimits(config.health.stale_runs, config.health.extract_failure_ratio)
        return cls(config.digest, config.mail, config.smtp, limits, config.topics.file)


def _recipients(config: Publishing) -> tuple[str, ...]:
    return config.mail.to or (OUTBOX_RECIPIENT,)


# Addresses written as they are in outbox file names: lower-case ASCII, so that two names differ
# on every file system, case-insensitive ones included.
_PLAIN_ADDRESS = re.compile(r"[a-z0-9@._-]{1,100}")


def _file_name(key: str, recipient: str) -> str:
    """The recipient's outbox name: one file per address, never shared (`a+b@` and `a_b@` once
    both became `a_b@`, and one overwrote the other's message). A plain address is the name as it
    is; any other gets a readable form plus a hash of the exact address after `~`, a character no
    plain name has."""
    if recipient == OUTBOX_RECIPIENT:
        return f"ckmon-{key}"
    if _PLAIN_ADDRESS.fullmatch(recipient):
        return f"ckmon-{key}-{recipient}"
    readable = re.sub(r"[^a-z0-9@._-]", "_", recipient.lower())[:100]
    digest = hashlib.sha256(recipient.encode("utf-8")).hexdigest()[:16]
    return f"ckmon-{key}-{readable}~{digest}"


@contextmanager
def _writing(folder: Path, setting: str, pending: str = "") -> Iterator[None]:
    """A failed write (a read-only or full disk) as one line naming the folder and its setting;
    an edition being delivered stays pending, so the next run writes and sends it."""
    try:
        yield
    except OSError as exc:
        later = f"; edition {pending} stays pending for the next run" if pending else ""
        raise OutputError(f"cannot write to {folder} ({setting}): {os_reason(exc)}{later}") from exc


def _render_mail(
    config: Publishing, view: EditionView, generated: datetime, notice: str = ""
) -> Rendered:
    return render_mail(
        view,
        generated=generated,
        notice=notice,
        budget=config.digest.max_html_bytes,
        page_url=page_url(config.digest.archive_url, view.key) if not view.adhoc else "",
        unsubscribe=config.mail.list_unsubscribe,
        reply_to=config.mail.reply_to,
        sender=config.mail.sender,
        archive_url=config.digest.archive_url,
        topic_labels=topic_labels(config.topics_file),
    )


def _compose(
    config: Publishing,
    view: EditionView,
    mail: Rendered,
    recipient: str,
    date: datetime,
    instance: str,
    id_variant: str = "",
) -> EmailMessage:
    return compose(
        edition_key=view.key,
        stories=view.story_count,
        html=mail.html,
        text=mail.text,
        sender=config.mail.sender,
        recipient=recipient if recipient != OUTBOX_RECIPIENT else config.mail.sender,
        date=date,
        reply_to=config.mail.reply_to,
        list_unsubscribe=config.mail.list_unsubscribe,
        headline=view.top[0].lead.title if view.top else "",
        subject_tag=config.subject_tag,
        instance=instance,
        list_id=default_list_id(config.mail.sender, instance),
        id_variant=id_variant,
    )


def _delivery(session: Session, edition: Edition, recipient: str) -> Delivery:
    delivery = session.scalars(
        select(Delivery).where(Delivery.edition_id == edition.id, Delivery.recipient == recipient)
    ).first()
    if delivery is None:
        delivery = Delivery(edition_id=edition.id, recipient=recipient, message_id="", attempts=0)
        session.add(delivery)
    return delivery


def _write(
    session: Session, config: Publishing, edition: Edition, view: EditionView, notice: str = ""
) -> Published:
    """Outbox copies for every recipient not yet done, then the archive page, index and feed."""
    generated = edition.built_at  # not the clock: the same edition renders to the same bytes
    mail = _render_mail(config, view, generated, notice)
    instance = instance_id(session)
    crashpoint("rendered")
    paths = []
    for recipient in _recipients(config):
        delivery = _delivery(session, edition, recipient)
        existing = Path(delivery.outbox_path) if delivery.outbox_path else None
        if existing is not None and existing.is_file():
            paths.append(existing)  # what is in the outbox is what goes out, retries included
            continue
        msg = _compose(config, view, mail, recipient, generated, instance)
        with _writing(config.digest.outbox, "[digest] outbox", edition.key):
            path = write_outbox(msg, config.digest.outbox, _file_name(edition.key, recipient))
        delivery.outbox_path, delivery.message_id = str(path), str(msg["Message-ID"])
        paths.append(path)
    session.commit()  # outbox paths recorded before anything is sent
    crashpoint("outbox-written")
    page_html, _ = render(
        view,
        generated=generated,
        notice=notice,
        page_url=page_url(config.digest.archive_url, edition.key),
        unsubscribe=config.mail.list_unsubscribe,
        reply_to=config.mail.reply_to,
        sender=config.mail.sender,
        archive_url=config.digest.archive_url,
        topic_labels=topic_labels(config.topics_file),
    )
    with _writing(config.digest.archive, "[digest] archive", edition.key):
        page = write_page(page_html, config.digest.archive, edition.key)
        write_feed(
            session, config.digest.archive, config.digest.archive_url, config.digest.timezone
        )
        write_index(session, config.digest.archive, config.digest.timezone)
    return Published(edition.key, view.story_count, paths, page, shortened=mail.shortened)


def write_edition(
    session: Session,
    config: Publishing,
    now: datetime,
    *,
    notice: str = "",
    relink: Callable[[str], str] | None = None,
) -> tuple[Edition, Published]:
    """The pending edition, else this week's cut at `now`, written to the outbox and archive.

    Nothing is sent or marked delivered; `publish_due` does that. `notice` heads the edition and
    `relink` changes its article links (the demo's point to copies of its sample pages).
    """
    edition, view = build(session, now, config.digest.timezone, config.health)
    if relink is not None:
        for story in (*view.top, *(s for stories in view.sections.values() for s in stories)):
            for item in (story.lead, *story.also_in):
                item.url = relink(item.url)
    return edition, _write(session, config, edition, view, notice)


def deliver(session: Session, config: Publishing, edition: Edition, now: datetime) -> Published:
    """Deliver `edition` to every recipient not yet done; it is 'sent' once none is pending."""
    view = view_of(
        session,
        edition.key,
        edition.since,
        edition.until,
        config.digest.timezone,
        config.health,
    )
    published = _write(session, config, edition, view)
    rows = {r: _delivery(session, edition, r) for r in _recipients(config)}
    todo = [d for d in rows.values() if d.status == "pending"]
    if config.mail.transport == "smtp" and todo:
        _send_smtp(session, config, todo, now, published)
    else:
        published.written_only = True
        for delivery in todo:  # the outbox transport delivers by writing the file
            delivery.status, delivery.sent_at = "sent", now
            delivery.attempts += 1
            published.sent.append(delivery.recipient)
    for recipient, delivery in rows.items():
        if delivery.status == "pending":
            published.pending.append((recipient, delivery.last_error or published.error))
        elif delivery.status == "failed":
            published.failed.append((recipient, delivery.last_error))
    if not published.pending:
        edition.status, edition.sent_at = "sent", now
    session.commit()
    return published


def _send_smtp(
    session: Session, config: Publishing, todo: list[Delivery], now: datetime, published: Published
) -> None:
    sender = address_of(config.mail.sender)
    with SmtpTransport(config.smtp) as smtp:
        for delivery in todo:
            raw = Path(delivery.outbox_path).read_bytes()
            try:
                result = smtp.send(raw, sender, address_of(delivery.recipient))
            except DeliveryError as exc:  # the server is unusable: the rest waits for next run
                delivery.attempts += getattr(exc, "attempts", 1)
                delivery.last_error = published.error = str(exc)
                session.commit()
                log.warning("%s", exc)
                return
            crashpoint("smtp-accepted")  # tests: the server has it, the store does not know yet
            delivery.attempts += result.attempts
            delivery.smtp_code, delivery.last_error = result.code, result.detail
            if result.status == "sent":
                delivery.status, delivery.sent_at = "sent", now
                published.sent.append(delivery.recipient)
            elif result.status == "failed":
                delivery.status = "failed"
            session.commit()  # one recipient at a time: a crash never resends the earlier ones
            crashpoint("delivery-committed")


def publish_due(session: Session, config: Publishing, now: datetime) -> Published | None:
    """Deliver what is due: a pending edition first, then a new one once a send time passed.

    Returns the last edition worked on, or None when nothing was due.
    """
    published = None
    pending = pending_edition(session)
    if pending is not None:
        published = deliver(session, config, pending, now)
        if pending.status != "sent":
            return published
    if is_due(
        session, now, config.digest.timezone, config.digest.send_day, config.digest.send_time
    ):
        edition = cut(session, now, config.digest.timezone, config.health)
        if edition.status != "sent":
            published = deliver(session, config, edition, now)
    return published


def write_preview(
    session: Session,
    config: Publishing,
    now: datetime,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Preview:
    """The next edition (or an ad-hoc window) as HTML, text and .eml in the preview folder.

    Nothing is recorded and nothing is sent.
    """
    tz = config.digest.timezone
    if since is not None or until is not None:
        view = adhoc(session, since, until or now, tz, config.health)
    else:
        view = draft(session, now, tz, config.health)
    mail = _render_mail(config, view, now)
    recipient = config.mail.to[0] if config.mail.to else OUTBOX_RECIPIENT
    # Its own Message-ID: a preview is not the edition, and clients keep one of two same ids.
    msg = _compose(config, view, mail, recipient, now, instance_id(session), "preview")
    folder = config.digest.preview
    name = f"ckmon-{view.key}"
    with _writing(folder, "[digest] preview"):
        return Preview(
            view.key,
            view.story_count,
            write_atomic(mail.html.encode("utf-8"), folder / f"{name}.html"),
            write_atomic(mail.text.encode("utf-8"), folder / f"{name}.txt"),
            write_outbox(msg, folder, name),
            mail.shortened,
        )
