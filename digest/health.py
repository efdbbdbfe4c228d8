"""Which outlets failed or found nothing during an edition's window, so silence is never mistaken
for a quiet week."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.store import CrawlRun, Outlet


@dataclass
class OutletHealth:
    failed: list[tuple[str, str]] = field(
        default_factory=list
    )  # (outlet, reason of latest failure)
    quiet: list[str] = field(default_factory=list)  # crawled fine, but no new article at all


def outlet_health(session: Session, since: datetime | None, until: datetime) -> OutletHealth:
    """Outlets whose latest crawl in the window failed, and those whose crawls found nothing new."""
    window = [CrawlRun.started_at < until]
    if since is not None:
        window.append(CrawlRun.started_at >= since)
    summary = (
        select(
            CrawlRun.outlet_id,
            func.max(CrawlRun.id).label("run_id"),
            func.sum(CrawlRun.articles_new).label("new"),
        )
        .where(*window)
        .group_by(CrawlRun.outlet_id)
        .subquery()
    )
    rows = session.execute(
        select(Outlet.title, CrawlRun.status, CrawlRun.error, summary.c.new)
        .join(summary, summary.c.run_id == CrawlRun.id)
        .join(Outlet, Outlet.id == CrawlRun.outlet_id)
        .order_by(Outlet.title)
    )
    health = OutletHealth()
    for title, status, error, new in rows:
        if status == "failed":
            health.failed.append((title, error or "crawl failed"))
        elif status == "ok" and not new:
            health.quiet.append(title)
    return health
