"""Starting crawls by outlet name through Scrapy, and reading back how each outlet did."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from digest.config import Config
from digest.config.scrapy_settings import SETTINGS_MODULE
from digest.errors import OutputError, os_reason
from digest.fetch.failures import lost_cause, store_cause
from digest.fetch.sources import check_names, load_sources
from digest.store.engine import make_sessionmaker, utcnow
from digest.store.models import CrawlRun, Outlet

log = logging.getLogger(__name__)
RUN_ID_STAT = "ckmon/crawl_run_id"  # set by spiders.extensions.CrawlRunRecorder


@dataclass
class OutletResult:
    outlet: str
    status: str
    articles_new: int
    articles_relevant: int
    error: str


@dataclass
class CrawlReport:
    results: list[OutletResult]

    @property
    def failed(self) -> list[OutletResult]:
        return [r for r in self.results if r.status != "ok"]

    @property
    def offline(self) -> bool:
        """Every outlet failed on name resolution or connection: most likely no network."""
        markers = ("dns", "lookup", "connect", "unreachable", "no route")
        return bool(self.results) and all(
            r.status != "ok" and any(m in r.error.lower() for m in markers) for r in self.results
        )


def enabled_outlets(sources_file: Path | None = None) -> list[str]:
    sources = load_sources(sources_file)
    return [name for name, source in sources.items() if source.enabled]


def run_crawl(
    config: Config,
    outlets: list[str] | None = None,
    *,
    since: str | None = None,
    sources_file: Path | None = None,
    settings: dict[str, Any] | None = None,
    replay: Path | None = None,
    record: Path | None = None,
    progress: Callable[[OutletResult, int, int], None] | None = None,
) -> CrawlReport:
    """Crawl `outlets` (default: every enabled one) in this process; one reactor per process.

    `replay` answers every request from a WARC archive instead of the network; `record` appends
    every fetched response to one. The crawl's Scrapy components read their own tables of the
    same ckmon.toml (`spiders.addon`); here the store, the registry and the crawl timeout. `progress(result, done,
    total)` hears of each outlet as it finishes, its run already recorded.
    """
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    registry = sources_file or config.crawl.sources_file
    names = outlets or enabled_outlets(registry)
    check_names(names, load_sources(registry))
    with make_sessionmaker(config.store.url)() as session:
        close_abandoned(session, utcnow() - timedelta(seconds=config.schedule.crawl_timeout))
    project = get_project_settings()
    overrides = {"CKMON_DATABASE_URL": config.store.url, **(settings or {})}
    if replay is not None:
        from digest.fetch.warc import load

        load(replay)  # a missing or broken archive is a clear error before any crawl starts
        overrides["CKMON_REPLAY"] = str(replay.resolve())
    if record is not None:
        try:  # a folder that cannot take the archive fails here, not once per response
            record.parent.mkdir(parents=True, exist_ok=True)
            with record.open("ab"):
                pass
        except OSError as exc:
            raise OutputError(
                f"cannot write the WARC archive {record} (--record): {os_reason(exc)}"
            ) from exc
        overrides["CKMON_RECORD"] = str(record.resolve())
    if config.source_path:
        overrides["CKMON_CONFIG"] = str(config.source_path)
    if sources_file:
        overrides["CKMON_SOURCES"] = str(sources_file)
    project.setdict(overrides, priority="cmdline")
    started = utcnow()
    # The CLI owns the root log handler; Scrapy's loggers follow LOG_LEVEL (set after Scrapy's
    # own logging set-up, which resets them).
    project.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    level = project.get("LOG_LEVEL", "INFO")
    logging.getLogger("scrapy").setLevel(level)
    process = CrawlerProcess(project)
    logging.getLogger("scrapy").setLevel(level)
    crawlers = [process.create_crawler(name) for name in names]
    done = [0]
    for crawler in crawlers:
        finished = process.crawl(crawler, since=since) if since else process.crawl(crawler)
        if progress is not None:
            finished.addBoth(_report_one, config, crawler, progress, done, len(crawlers))
    # What exists now (Scrapy, trafilatura and the other modules, the spiders) lives as long as
    # the crawl: out of the cyclic collector's way, whose full passes over it cost about a tenth of
    # a fast crawl. Unfrozen afterwards: `ckmon run` goes on to build the digest.
    gc.collect()
    gc.freeze()
    try:
        process.start()
    finally:
        gc.unfreeze()
    # This process's own runs: other workers may be crawling the same outlets at the same time.
    run_ids = [c.stats.get_value(RUN_ID_STAT) for c in crawlers if c.stats is not None]
    report = report_since(config.store.url, started, [i for i in run_ids if i is not None])
    return _with_unrecorded(config, report, crawlers)


def _with_unrecorded(config: Config, report: CrawlReport, crawlers: list[Any]) -> CrawlReport:
    """The report with every outlet crawled, failures the store could not record included.

    When the store refuses writes (a full disk), a run is never opened or never closed: such an
    outlet would be missing from the summary or read "did not finish". Its crawler's stats say
    why; the run is closed as failed if the store takes that write now.
    """
    results = {r.outlet: r for r in report.results}
    for crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats is not None else {}
        cause = lost_cause(stats, stats.get("finish_reason", "finished"))
        name = crawler.spidercls.name
        known = results.get(name)
        if not cause or (known is not None and known.error == cause):
            continue
        results[name] = OutletResult(
            name,
            "failed",
            stats.get("ckmon/articles_new", 0),
            stats.get("ckmon/articles_relevant", 0),
            cause,
        )
        run_id = stats.get(RUN_ID_STAT)
        if run_id is not None:
            try:
                close_unfinished(config, [run_id], cause)
            except SQLAlchemyError as exc:
                log.error(
                    "store failed, the run of %s not marked failed: %s", name, store_cause(exc)
                )
    return CrawlReport([results[name] for name in sorted(results)])


def _report_one(
    outcome: Any,
    config: Config,
    crawler: Any,
    progress: Callable[[OutletResult, int, int], None],
    done: list[int],
    total: int,
) -> Any:
    """Tell `progress` how one outlet did, once its crawler has stopped and its run is closed.
    A failure here is logged, never passed on: it must not stop the other outlets' crawls."""
    done[0] += 1
    try:
        run_id = crawler.stats.get_value(RUN_ID_STAT) if crawler.stats is not None else None
        results = report_since(config.store.url, datetime.min.replace(tzinfo=UTC), [run_id]).results
        name = getattr(crawler.spider, "name", "") or "?"
        progress(
            results[0] if results else OutletResult(name, "failed", 0, 0, "did not start"),
            done[0],
            total,
        )
    except Exception:
        log.exception("could not report an outlet's progress")
    return outcome


def report_since(
    store_url: str, started: datetime, run_ids: list[int] | None = None
) -> CrawlReport:
    """Each outlet's latest crawl run started at or after `started` (among `run_ids`, if given)."""
    sessions = make_sessionmaker(store_url)
    query = (
        select(Outlet.name, CrawlRun)
        .join(Outlet, Outlet.id == CrawlRun.outlet_id)
        .where(CrawlRun.started_at >= started)
        .order_by(Outlet.name, CrawlRun.id)
    )
    if run_ids is not None:
        query = query.where(CrawlRun.id.in_(run_ids))
    with sessions() as session:
        rows = session.execute(query)
        latest = {name: run for name, run in rows}
    return CrawlReport(
        [
            OutletResult(
                name,
                run.status if run.status != "running" else "failed",
                run.articles_new,
                run.articles_relevant,
                run.error or ("did not finish" if run.status == "running" else ""),
            )
            for name, run in latest.items()
        ]
    )


def close_unfinished(store_url: str, run_ids: list[int], reason: str) -> int:
    """Mark as failed those of `run_ids` still "running": their crawl was killed before it could
    close them, and `ckmon sources` and the digest would otherwise never see the failure."""
    if not run_ids:
        return 0
    with make_sessionmaker(store_url)() as session:
        return _fail_running(session, CrawlRun.id.in_(run_ids), reason)


def close_abandoned(session: Session, started_before: datetime) -> int:
    """Mark as failed the runs still "running" that started before `started_before`: a crawl
    process killed outright (SIGKILL, a power cut) could not close them either."""
    closed = _fail_running(
        session,
        CrawlRun.started_at < started_before,
        "the crawl did not finish (process killed?)",
    )
    if closed:
        log.warning("%d crawl run(s) left unfinished by a killed process marked failed", closed)
    return closed


def _fail_running(session: Session, which: ColumnElement[bool], reason: str) -> int:
    closed = session.execute(
        update(CrawlRun)
        .where(which, CrawlRun.status == "running")
        .values(status="failed", error=reason, finished_at=utcnow())
    )
    session.commit()
    return closed.rowcount
