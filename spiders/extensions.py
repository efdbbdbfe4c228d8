"""Records each outlet's crawl in the store: the health figures `ckmon sources` and the digest show.

A crawl that lost something is recorded as failed, with the cause (`digest.fetch.failures`).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import SQLAlchemyError

from digest.fetch.failures import STORE_ERROR_STAT, STORE_FAILED, lost_cause, store_cause
from digest.store.engine import get_outlet, make_sessionmaker, utcnow
from digest.store.models import CrawlRun

log = logging.getLogger(__name__)


class CrawlRunRecorder:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.sessions = make_sessionmaker(crawler.settings["CKMON_DATABASE_URL"])
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        return cls(crawler)

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        """An item pipeline raised (Scrapy logs the trace): the article is lost, so counted."""
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("ckmon/item_errors")

    def spider_opened(self, spider: Spider) -> None:
        source = getattr(spider, "source", None)
        try:
            with self.sessions() as session:
                outlet = get_outlet(
                    session,
                    spider.name,
                    source.title if source else "",
                    source.lang if source else "",
                )
                run = CrawlRun(outlet_id=outlet.id, started_at=utcnow(), status="running")
                session.add(run)
                session.commit()
                self.run_id = run.id
        except SQLAlchemyError as exc:  # a full disk, a lost server: nothing can be stored
            cause = store_cause(exc)
            spider.logger.error("store failed, crawl not started: %s", cause)
            if self.crawler.stats is not None:
                self.crawler.stats.set_value(STORE_ERROR_STAT, cause)
            if self.crawler.engine is not None:
                deferred_from_coro(self.crawler.engine.close_spider_async(reason=STORE_FAILED))
            return
        # `ckmon schedule` reads this line: a crawl it has to kill cannot close its own runs.
        log.info("crawl run %d opened for %s", run.id, spider.name)
        if self.crawler.stats is not None:  # how `ckmon crawl` finds its own runs
            self.crawler.stats.set_value("ckmon/crawl_run_id", run.id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        errors: list[str] = getattr(spider, "discovery_errors", [])
        discovered = stats.get("ckmon/discovery_ok", 0)
        unreachable = bool(errors) and not discovered
        lost = lost_cause(stats, reason)
        if self.run_id is None:
            return
        try:
            with self.sessions() as session:
                run = session.get(CrawlRun, self.run_id)
                if run is None:
                    return
                run.finished_at = utcnow()
                run.status = "failed" if unreachable or lost or reason != "finished" else "ok"
                run.requests = stats.get("downloader/request_count", 0)
                run.not_modified = stats.get("downloader/response_status_count/304", 0)
                run.articles_new = stats.get("ckmon/articles_new", 0)
                run.articles_relevant = stats.get("ckmon/articles_relevant", 0)
                run.extract_failed = stats.get("ckmon/extract_failed", 0)
                run.articles_extracted = stats.get("ckmon/articles_extracted", 0)
                run.skipped_seen = stats.get("ckmon/skipped_seen", 0)
                run.refused = stats.get("ckmon/refused_address", 0)
                run.errors = len(errors) + stats.get("ckmon/article_fetch_failed", 0)
                run.error = (
                    lost
                    or ("; ".join(errors[:5]) if unreachable else "")
                    or ("" if reason == "finished" else reason)
                )
                session.commit()
        except SQLAlchemyError as exc:  # `ckmon crawl` reports the outlet from its stats instead
            spider.logger.error("store failed, the crawl's end not recorded: %s", store_cause(exc))
            if self.crawler.stats is not None and not stats.get(STORE_ERROR_STAT):
                self.crawler.stats.set_value(STORE_ERROR_STAT, store_cause(exc))
