"""Which articles an edition holds, and how they are grouped for reading.

An edition covers the relevant articles first stored since the cutoff of the last edition that was
sent, never "now minus seven days": a missed week rolls into the next, nothing is mailed twice. Its
window is fixed when it is cut, so building it again gives the same edition.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.analysis.textnorm import TITLE_LIMIT, clip, display_text, web_link
from digest.analysis.topics import OTHER
from digest.analysis.urls import reader_link
from digest.deliver.health import DEFAULT_LIMITS, HealthLimits, WindowHealth, window_health
from digest.store.marks import relevant_in_digest, topics_in_digest
from digest.store.models import ArticleRow, Edition, Mark, Outlet

TOP_STORIES = 5
COVERAGE_WEEKS = 10
DAY = timedelta(days=1)


@dataclass
class Item:
    """One article as the digest shows it, its title in its own language."""

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
class WeekCount:
    """Relevant articles published in one ISO week (local time), for the coverage bars; `current`
    marks the weeks the edition covers."""

    start: date
    count: int
    current: bool = False

    @property
    def key(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"


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
    quiet_outlets: list[str] = field(default_factory=list)
    flagged_outlets: list[tuple[str, str]] = field(default_factory=list)
    coverage: list[WeekCount] = field(default_factory=list)
    adhoc: bool = False  # a `--since/--until` edition: never recorded, never sent

    @property
    def story_count(self) -> int:
        return len(self.top) + sum(len(s) for s in self.sections.values())

    @property
    def article_count(self) -> int:
        return sum(self.by_lang.values())

    @property
    def through(self) -> datetime:
        """The end to print: an ad-hoc window ends at the start of the day after its last day."""
        return self.until - timedelta(microseconds=1) if self.adhoc else self.until

    @property
    def coverage_max(self) -> int:
        return max((w.count for w in self.coverage), default=0)


def edition_key(when: datetime, tz: ZoneInfo) -> str:
    """Editions are named by the ISO week, in the configured time zone, in which they are cut."""
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


def pending_edition(session: Session) -> Edition | None:
    """The edition that was cut but not yet delivered to everyone; it goes out before any other."""
    return session.scalars(
        select(Edition).where(Edition.status == "pending").order_by(Edition.until).limit(1)
    ).first()


def last_send_time(now: datetime, tz: ZoneInfo, weekday: int, hhmm: str) -> datetime:
    """The latest configured send moment at or before `now` (this week's or last week's)."""
    this_week = send_time_of_week(now, tz, weekday, hhmm)
    if this_week <= now:
        return this_week
    return datetime.combine(this_week.date() - timedelta(days=7), this_week.time(), tz)


def next_send_time(now: datetime, tz: ZoneInfo, weekday: int, hhmm: str) -> datetime:
    """The first configured send moment after `now`."""
    return last_send_time(now, tz, weekday, hhmm) + timedelta(days=7)


def is_due(session: Session, now: datetime, tz: ZoneInfo, weekday: int, hhmm: str) -> bool:
    """On a fresh store at once; afterwards when a send time passed after the last edition was
    cut, this week's or a past week's (the machine was off), and no edition was cut this week."""
    previous = last_sent(session)
    if previous is None:
        return True
    if previous.until >= last_send_time(now, tz, weekday, hhmm):
        return False
    return previous.key != edition_key(now, tz)


def cut(
    session: Session, now: datetime, tz: ZoneInfo, limits: HealthLimits = DEFAULT_LIMITS
) -> Edition:
    """Fix the window of this week's edition: from the last sent cutoff to `now`.

    An edition already cut for this week keeps its window (a rebuild gives the same edition).
    """
    key = edition_key(now, tz)
    edition = session.scalars(select(Edition).where(Edition.key == key)).first()
    if edition is not None:
        return edition
    previous = last_sent(session)
    edition = Edition(
        key=key,
        since=previous.until if previous is not None else None,
        until=now,
        built_at=now,
        status="pending",
    )
    session.add(edition)
    edition.stories = view_of(session, key, edition.since, now, tz, limits).story_count
    session.commit()
    return edition


def build(
    session: Session, now: datetime, tz: ZoneInfo, limits: HealthLimits = DEFAULT_LIMITS
) -> tuple[Edition, EditionView]:
    """The pending edition if there is one, else this week's edition cut at `now`, with its view."""
    edition = pending_edition(session) or cut(session, now, tz, limits)
    return edition, view_of(session, edition.key, edition.since, edition.until, tz, limits)


def draft(
    session: Session, now: datetime, tz: ZoneInfo, limits: HealthLimits = DEFAULT_LIMITS
) -> EditionView:
    """What would go out next, recorded nowhere: the pending edition, else [last cutoff, now)."""
    pending = pending_edition(session)
    if pending is not None:
        return view_of(session, pending.key, pending.since, pending.until, tz, limits)
    previous = last_sent(session)
    since = previous.until if previous is not None else None
    return view_of(session, edition_key(now, tz), since, now, tz, limits)


def adhoc(
    session: Session,
    since: datetime | None,
    until: datetime,
    tz: ZoneInfo,
    limits: HealthLimits = DEFAULT_LIMITS,
) -> EditionView:
    """An edition for any window, for a look back or a special report; it changes no cutoff."""
    start = f"{since.astimezone(tz):%Y-%m-%d}" if since is not None else "start"
    last_day = (until - timedelta(microseconds=1)).astimezone(tz)  # `until` itself is excluded
    key = f"{start}_{last_day:%Y-%m-%d}"
    view = view_of(session, key, since, until, tz, limits)
    view.adhoc = True
    return view


def view_of(
    session: Session,
    key: str,
    since: datetime | None,
    until: datetime,
    tz: ZoneInfo,
    limits: HealthLimits = DEFAULT_LIMITS,
) -> EditionView:
    """Group the window's relevant articles into stories, sections and counts; an analyst's mark
    (`ckmon mark`) decides over the automatic verdict and topics."""
    query = (
        select(ArticleRow, Outlet.title, Mark.topics)
        .join(Outlet, Outlet.id == ArticleRow.outlet_id)
        .outerjoin(Mark, Mark.article_id == ArticleRow.id)
        .where(relevant_in_digest(), ArticleRow.first_seen_at < until)
        .order_by(ArticleRow.id)
    )
    if since is not None:
        query = query.where(ArticleRow.first_seen_at >= since)
    clusters: dict[int, list[tuple[ArticleRow, str, list[str] | None]]] = defaultdict(list)
    for row, outlet, marked in session.execute(query):
        clusters[row.cluster_id or row.id].append((row, outlet, marked))
    stories = [_story(members) for members in clusters.values()]
    stories.sort(key=_rank)
    top, rest = stories[:TOP_STORIES], stories[TOP_STORIES:]
    grouped: dict[str, list[Story]] = defaultdict(list)
    for story in rest:
        grouped[story.lead.topics[0] if story.lead.topics else OTHER].append(story)
    sections = dict(sorted(grouped.items(), key=lambda kv: (kv[0] == OTHER, -len(kv[1]), kv[0])))
    items = [i for s in stories for i in (s.lead, *s.also_in)]
    health: WindowHealth = window_health(
        session, since, until, stale_runs=limits.stale_runs, failure_ratio=limits.failure_ratio
    )
    return EditionView(
        key=key,
        since=since,
        until=until,
        timezone=tz,
        top=top,
        sections=sections,
        by_topic=dict(
            sorted(Counter(t for s in stories for t in s.lead.topics).items(), key=_by_count)
        ),
        by_lang=dict(sorted(Counter(i.lang or "?" for i in items).items(), key=_by_count)),
        failed_outlets=health.failed,
        quiet_outlets=health.quiet,
        flagged_outlets=health.flagged,
        coverage=coverage(session, until, tz, since=since),
    )


def coverage(
    session: Session,
    until: datetime,
    tz: ZoneInfo,
    weeks: int = COVERAGE_WEEKS,
    since: datetime | None = None,
) -> list[WeekCount]:
    """Relevant articles per local ISO week for the `weeks` weeks ending with the edition's last
    full day; the weeks the edition spans by a day or more are marked current.

    An edition cut on a Monday morning reports on the week before: its chart ends there, not on a
    near-empty bar for the hours of Monday. An article counts in the week it was published (the
    week it was stored if its date is unknown), so a first crawl's backfill still draws the weeks
    before it.
    """
    last_day = (until - DAY).astimezone(tz).date()
    if since is not None:
        last_day = max(last_day, since.astimezone(tz).date())
    last_monday = last_day - timedelta(days=last_day.weekday())
    first_monday = last_monday - timedelta(weeks=weeks - 1)
    start = datetime.combine(first_monday, time(0), tz)
    rows = session.execute(
        select(ArticleRow.published_at, ArticleRow.first_seen_at)
        .outerjoin(Mark, Mark.article_id == ArticleRow.id)
        .where(
            relevant_in_digest(),
            ArticleRow.first_seen_at < until,
            (ArticleRow.published_at >= start) | (ArticleRow.first_seen_at >= start),
        )
    )
    counts: Counter[date] = Counter()
    for published, first_seen in rows:
        when = published if published is not None and published < until else first_seen
        day = when.astimezone(tz).date()
        monday = day - timedelta(days=day.weekday())
        if first_monday <= monday <= last_monday:
            counts[monday] += 1
    mondays = [first_monday + timedelta(weeks=i) for i in range(weeks)]
    return [
        WeekCount(m, counts[m], m == last_monday or _spans(m, since, until, tz)) for m in mondays
    ]


def _spans(monday: date, since: datetime | None, until: datetime, tz: ZoneInfo) -> bool:
    """Does the window [since, until) cover a day or more of the week starting `monday`?"""
    if since is None:  # a first edition reaches back to the start: only its last week is its own
        return False
    start = datetime.combine(monday, time(0), tz)
    return min(start + timedelta(weeks=1), until) - max(start, since) >= DAY


def _by_count(kv: tuple[str, int]) -> tuple[int, str]:
    return (-kv[1], kv[0])


def _rank(story: Story) -> tuple[int, int, float, str]:
    """Most outlets first, then the largest cluster, then the newest, then by title for stability."""
    published = story.lead.published
    return (
        -story.outlets,
        -len(story.also_in),
        -published.timestamp() if published else 0.0,
        story.lead.title,
    )


def _item(row: ArticleRow, outlet: str, marked_topics: list[str] | None) -> Item:
    return Item(  # scraped fields cleaned for display; the templates escape them
        title=display_text(row.title, TITLE_LIMIT),
        url=web_link(reader_link(row.url)),
        outlet=outlet,
        lang=row.lang,
        published=row.published_at,
        lead=lead_of(display_text(row.lead or row.text)),
        topics=topics_in_digest(row.topics, marked_topics),
    )


def _story(members: list[tuple[ArticleRow, str, list[str] | None]]) -> Story:
    members.sort(key=lambda m: (m[0].published_at or m[0].first_seen_at, m[0].id))
    lead, *others = (_item(*m) for m in members)
    story = Story(lead, others)
    votes = Counter(t for item in (lead, *others) for t in item.topics)
    lead.topics = [t for t, _ in sorted(votes.items(), key=_by_count)]
    return story


# Sentence ends in the three languages: Latin and Korean punctuation, Khmer khan (។) and bariyoosan (៕).
_SENTENCE_END = re.compile(r"(?<=[.!?។៕])\s+|(?<=[។៕])(?=\S)")


def lead_of(text: str, sentences: int = 3, limit: int = 360) -> str:
    """The first two or three sentences, within `limit` characters; one long sentence is cut."""
    text = " ".join(text.split())
    if not text:
        return ""
    parts = [p for p in _SENTENCE_END.split(text) if p]
    lead = parts[0]
    for part in parts[1:sentences]:
        if len(lead) + 1 + len(part) > limit:
            break
        lead = f"{lead} {part}"
    return clip(lead, limit)
