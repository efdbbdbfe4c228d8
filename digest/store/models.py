"""The store's tables: SQLAlchemy models, aware UTC times in and out, one metadata for them all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC out, whatever the back end stores."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; times are aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    pass


class Outlet(Base):
    __tablename__ = "outlets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(8))


class ArticleRow(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    # Indexed: the seen-URL check asks for it before every article request (migration 0004).
    url: Mapped[str] = mapped_column(String(2048), index=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    lead: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    lang: Mapped[str] = mapped_column(String(8), default="")
    image: Mapped[str] = mapped_column(String(2048), default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    date_source: Mapped[str] = mapped_column(String(32), default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True, default="")
    relevant: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    relevance_score: Mapped[float] = mapped_column(Float, default=0.0)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    cluster_id: Mapped[int | None] = mapped_column(Integer, index=True)


class Mark(Base):
    """An analyst's verdict on an article (`ckmon mark`), kept apart from the automatic one so that
    tagging the article again never overwrites it; where there is one, the digest follows it."""

    __tablename__ = "marks"
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    relevant: Mapped[bool] = mapped_column(Boolean)
    # The analyst's topics; NULL: the automatic topics stand.
    topics: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CrawlRun(Base):
    """One outlet's part of one crawl: what was asked, what came back, what was kept."""

    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")  # ok | failed | running
    requests: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_relevant: Mapped[int] = mapped_column(Integer, default=0)
    extract_failed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    # Crawl health figures (migration 0003).
    articles_extracted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped_seen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    refused: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class FetchState(Base):
    """Validators for conditional GET of a discovery URL (feed, sitemap)."""

    __tablename__ = "fetch_state"
    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    etag: Mapped[str] = mapped_column(String(512), default="")
    last_modified: Mapped[str] = mapped_column(String(128), default="")
    last_full_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Edition(Base):
    """One digest: the relevant articles first seen in [since, until).

    The window is fixed when the edition is cut, so rebuilding it gives the same edition; `until` is
    the cutoff the next edition starts from once this one is sent.
    """

    __tablename__ = "editions"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. 2026-W48
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent
    stories: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the last delivery closed


class Delivery(Base):
    """One edition to one recipient (or to the outbox): its own state, so retries are per address."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("edition_id", "recipient"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    message_id: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    smtp_code: Mapped[int | None] = mapped_column(Integer)  # the server's last reply code, if any
    outbox_path: Mapped[str] = mapped_column(String(1024), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LockClaim(Base):
    """A named claim on SQLite (and any back end without advisory locks)."""

    __tablename__ = "lock_claims"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Setting(Base):
    """A value an installation keeps for good: its `instance_id`, made once at random by migration
    0007, sets its mail's Message-IDs and List-Id apart from every other installation's."""

    __tablename__ = "settings"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
