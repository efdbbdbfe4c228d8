"""Per-outlet health from the crawl runs: what each outlet gave lately, and what looks broken.

Flags (thresholds from `[health]` in ckmon.toml): no new article for `stale_runs` consecutive
finished runs; an extraction-failure ratio above `failure_ratio` over those runs; a failed last run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.fetch.failures import short_cause
from digest.fetch.sources import Source
from digest.store.models import ArticleRow, CrawlRun, Outlet


@dataclass
class OutletHealth:
    name: str
    title: str
    lang: str
    kind: str
    enabled: bool
    last_run_at: datetime | None = None
    last_status: str = ""
    last_error: str = ""
    last_new_article_at: datetime | None = None
    requests: int = 0  # the figures of the last run
    not_modified: int = 0
    articles_new: int = 0
    extract_failed: int = 0
    errors: int = 0
    skipped_seen: int = 0
    refused: int = 0
    runs_without_new: int = 0
    failure_ratio: float = 0.0  # extraction failures / pages tried, over the recent runs
    flags: list[str] = field(default_factory=list)


def outlet_health(
    session: Session,
    sources: dict[str, Source],
    *,
    stale_runs: int = 3,
    failure_ratio: float = 0.3,
) -> list[OutletHealth]:
    """One `OutletHealth` per outlet of the registry, in registry order."""
    outlet_ids = {name: id_ for name, id_ in session.execute(select(Outlet.name, Outlet.id))}
    last_new = {
        outlet_id: when
        for outlet_id, when in session.execute(
            select(ArticleRow.outlet_id, func.max(ArticleRow.first_seen_at)).group_by(
                ArticleRow.outlet_id
            )
        )
    }
    report = []
    for name, source in sources.items():
        health = OutletHealth(name, source.title, source.lang, source.kind, source.enabled)
        report.append(health)
        outlet_id = outlet_ids.get(name)
        runs = []
        if outlet_id is not None:
            runs = list(
                session.scalars(
                    select(CrawlRun)
                    .where(CrawlRun.outlet_id == outlet_id, CrawlRun.status != "running")
                    .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
                    .limit(max(stale_runs, 1) * 4)
                )
            )
            health.last_new_article_at = last_new.get(outlet_id)
        if not runs:
            health.flags.append("never crawled")
            continue
        _fill(health, runs, stale_runs, failure_ratio)
    return report


def _fill(health: OutletHealth, runs: list[CrawlRun], stale_runs: int, threshold: float) -> None:
    last = runs[0]
    health.last_run_at = last.started_at
    health.last_status, health.last_error = last.status, last.error
    health.requests, health.not_modified = last.requests, last.not_modified
    health.articles_new, health.extract_failed = last.articles_new, last.extract_failed
    health.errors = last.errors
    health.skipped_seen, health.refused = last.skipped_seen or 0, last.refused or 0
    for run in runs:
        if run.articles_new:
            break
        health.runs_without_new += 1
    if last.status != "ok":
        # The cause in a few words: the whole text is `ckmon sources --errors`' and the log's.
        health.flags.append(f"last run failed: {short_cause(last.error)}")
    if stale_runs > 0 and health.runs_without_new >= stale_runs:
        health.flags.append(f"no new article in {health.runs_without_new} runs")
    recent = runs[: max(stale_runs, 1)]
    failed = sum(r.extract_failed for r in recent)
    tried = failed + sum(r.articles_extracted or 0 for r in recent)
    health.failure_ratio = failed / tried if tried else 0.0
    if tried and health.failure_ratio > threshold:
        health.flags.append(f"extraction failed on {failed} of {tried} pages")


@dataclass(frozen=True)
class HealthLimits:
    """The `[health]` thresholds of ckmon.toml."""

    stale_runs: int = 3
    failure_ratio: float = 0.3


DEFAULT_LIMITS = HealthLimits()


@dataclass
class WindowHealth:
    """Which outlets failed or found nothing during an edition's window: silence is never
    mistaken for a quiet week."""

    failed: list[tuple[str, str]] = field(
        default_factory=list
    )  # (outlet, reason of latest failure)
    quiet: list[str] = field(default_factory=list)  # crawled fine, but no new article at all
    # (outlet, why): the `[health]` thresholds crossed within the window
    flagged: list[tuple[str, str]] = field(default_factory=list)


def window_health(
    session: Session,
    since: datetime | None,
    until: datetime,
    *,
    stale_runs: int = 3,
    failure_ratio: float = 0.3,
) -> WindowHealth:
    """Outlets whose latest crawl in the window failed, those whose crawls found nothing new, and
    those past a `[health]` threshold: `stale_runs` runs in a row without a new article, or an
    extraction-failure ratio above `failure_ratio`."""
    window = [CrawlRun.started_at < until]
    if since is not None:
        window.append(CrawlRun.started_at >= since)
    summary = (
        select(
            CrawlRun.outlet_id,
            func.max(CrawlRun.id).label("run_id"),
            func.sum(CrawlRun.articles_new).label("new"),
            func.count(CrawlRun.id).label("runs"),
            func.sum(CrawlRun.extract_failed).label("failed"),
            func.sum(CrawlRun.articles_extracted).label("extracted"),
        )
        .where(*window)
        .group_by(CrawlRun.outlet_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Outlet.title,
            CrawlRun.status,
            CrawlRun.error,
            summary.c.new,
            summary.c.runs,
            summary.c.failed,
            summary.c.extracted,
        )
        .join(summary, summary.c.run_id == CrawlRun.id)
        .join(Outlet, Outlet.id == CrawlRun.outlet_id)
        .order_by(Outlet.title)
    )
    health = WindowHealth()
    for title, status, error, new, runs, failed, extracted in rows:
        if status == "failed":
            # A few words: the whole text (800 characters for a DNS error) is in `ckmon sources`
            health.failed.append((title, short_cause(error) if error else "crawl failed"))
        elif status == "ok" and not new:
            health.quiet.append(title)
        if not new and stale_runs > 0 and runs >= stale_runs:
            health.flagged.append((title, f"no new article in {runs} runs"))
        tried = (failed or 0) + (extracted or 0)
        if tried and (failed or 0) / tried > failure_ratio:
            health.flagged.append((title, f"extraction failed on {failed} of {tried} pages"))
    return health
