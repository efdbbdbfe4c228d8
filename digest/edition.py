"""Which articles an edition holds, and how they are grouped for reading.

An edition covers the relevant articles first stored since the cutoff of the last edition that was
sent, never "now minus seven days": a missed week rolls into the next, nothing is mailed twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.store import ArticleRow, CrawlRun, Edition, Outlet

TOP_STORIES = 5


@dataclass
class Item:
    """One article as the digest shows it."""

    title: str
    url: str
    outlet: str
    lang: str
    published: datetime | None
    lead: str
    topics: list[str]


@dataclass
class Story:
    """A cluster: its original item leads, the others are 'also in'."""

    lead: Item
    also_in: list[Item] = field(default_factory=list)

    @property
    def outlets(self) -> int:
        return len({self.lead.outlet, *(i.outlet for i in self.also_in)})


@dataclass
class EditionView:
    key: str
    since: datetime | None
    until: datetime
    timezone: ZoneInfo
    top: list[Story]
    sections: dict[str, list[Story]]
    by_topic: dict[str, int]
    by_lang: dict[str, int]
    failed_outlets: list[tuple[str, str]]

    @property
    def story_count(self) -> int:
        return len(self.top) + sum(len(s) for s in self.sections.values())


def edition_key(when: datetime, tz: ZoneInfo) -> str:
    """Editions are named by the ISO week, in the configured time zone, in which they are sent."""
    year, week, _ = when.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def send_time_of_week(when: datetime, tz: ZoneInfo, weekday: int, hhmm: str) -> datetime:
    """The configured send moment of the week containing `when`."""
    local = when.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    hour, minute = (int(p) for p in hhmm.split(":"))
    return datetime.combine(monday + timedelta(days=weekday), time(hour, minute), tz)


def last_sent(session: Session) -> Edition | None:
    return session.scalars(
        select(Edition).where(Edition.status == "sent").order_by(Edition.until.desc()).limit(1)
    ).first()


def is_due(session: Session, now: datetime, tz: ZoneInfo, weekday: int, hhmm: str) -> bool:
    """On a fresh store at once; afterwards when this week's send time has passed and it is unsent."""
    previous = last_sent(session)
    if previous is None:
        return True
    if now < send_time_of_week(now, tz, weekday, hhmm):
        return False
    return previous.key != edition_key(now, tz)


def build(session: Session, now: datetime, tz: ZoneInfo) -> tuple[Edition, EditionView]:
    """Create or refresh the pending edition ending at `now`; a sent edition is never rebuilt."""
    key = edition_key(now, tz)
    edition = session.scalars(select(Edition).where(Edition.key == key)).first()
    previous = last_sent(session)
    since = previous.until if previous is not None and previous.key != key else None
    if edition is None:
        edition = Edition(key=key, since=since, until=now, built_at=now, status="pending")
        session.add(edition)
    elif edition.status != "sent":
        edition.since, edition.until, edition.built_at = since, now, now
    view = view_of(session, edition.key, edition.since, edition.until, tz)
    edition.stories = view.story_count
    session.commit()
    return edition, view


def view_of(
    session: Session, key: str, since: datetime | None, until: datetime, tz: ZoneInfo
) -> EditionView:
    """Group the window's relevant articles into stories, sections and counts."""
    query = (
        select(ArticleRow, Outlet.title)
        .join(Outlet, Outlet.id == ArticleRow.outlet_id)
        .where(ArticleRow.relevant, ArticleRow.first_seen_at < until)
    )
    if since is not None:
        query = query.where(ArticleRow.first_seen_at >= since)
    clusters: dict[int, list[tuple[ArticleRow, str]]] = defaultdict(list)
    for row, outlet in session.execute(query):
        clusters[row.cluster_id or row.id].append((row, outlet))
    stories = [_story(members) for members in clusters.values()]
    stories.sort(key=lambda s: (-s.outlets, -len(s.also_in), _ts(s.lead.published)))
    top, rest = stories[:TOP_STORIES], stories[TOP_STORIES:]
    sections: dict[str, list[Story]] = defaultdict(list)
    for story in rest:
        sections[story.lead.topics[0] if story.lead.topics else "other"].append(story)
    items = [i for s in stories for i in (s.lead, *s.also_in)]
    return EditionView(
        key=key,
        since=since,
        until=until,
        timezone=tz,
        top=top,
        sections=dict(sorted(sections.items(), key=lambda kv: (kv[0] == "other", kv[0]))),
        by_topic=dict(Counter(t for s in stories for t in s.lead.topics).most_common()),
        by_lang=dict(Counter(i.lang or "?" for i in items).most_common()),
        failed_outlets=_failed_outlets(session, since, until),
    )


def _ts(when: datetime | None) -> float:
    return -when.timestamp() if when else 0.0


def _item(row: ArticleRow, outlet: str) -> Item:
    return Item(
        title=row.title,
        url=row.url,
        outlet=outlet,
        lang=row.lang,
        published=row.published_at,
        lead=_lead(row.lead or row.text),
        topics=list(row.topics or []),
    )


def _story(members: list[tuple[ArticleRow, str]]) -> Story:
    members.sort(key=lambda m: (m[0].published_at or m[0].first_seen_at, m[0].id))
    lead, *others = members
    story = Story(_item(*lead), [_item(*m) for m in others])
    story.lead.topics = sorted({t for m, _ in members for t in (m.topics or [])})
    return story


def _lead(text: str, limit: int = 320) -> str:
    """Two or three sentences at most, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def _failed_outlets(
    session: Session, since: datetime | None, until: datetime
) -> list[tuple[str, str]]:
    """Outlets whose latest crawl in the window failed, with the reason."""
    latest = select(CrawlRun.outlet_id, func.max(CrawlRun.id).label("run_id")).where(
        CrawlRun.started_at < until
    )
    if since is not None:
        latest = latest.where(CrawlRun.started_at >= since)
    latest_sq = latest.group_by(CrawlRun.outlet_id).subquery()
    rows = session.execute(
        select(Outlet.title, CrawlRun.error)
        .join(latest_sq, latest_sq.c.run_id == CrawlRun.id)
        .join(Outlet, Outlet.id == CrawlRun.outlet_id)
        .where(CrawlRun.status == "failed")
        .order_by(Outlet.title)
    )
    return [(title, error) for title, error in rows]
