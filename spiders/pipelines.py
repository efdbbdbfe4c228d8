"""The item pipeline: thin, it hands each article to `digest.analysis.ingest`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, NoReturn

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import SQLAlchemyError

from digest.analysis.article import Article
from digest.analysis.ingest import Analyzer, ingest
from digest.crashpoints import crashpoint
from digest.fetch.failures import STORE_ERROR_STAT, STORE_FAILED, store_cause
from digest.store.engine import make_sessionmaker

log = logging.getLogger(__name__)

# One analyzer per (store, rule files) in a process: every outlet's crawler runs in the same
# process and reactor thread, and one duplicate index serves them all (one copy in memory, each
# stored article indexed once instead of once per outlet).
_analyzers: dict[tuple[str, str, str], Analyzer] = {}


def shared_analyzer(database_url: str, rules: str = "", topics: str = "") -> Analyzer:
    """The process's analyzer for this store and these rule files, made on first use."""
    key = (database_url, rules, topics)
    analyzer = _analyzers.get(key)
    if analyzer is None:
        analyzer = _analyzers[key] = Analyzer.from_files(
            Path(rules) if rules else None, Path(topics) if topics else None
        )
    return analyzer


class StorePipeline:
    """Stores every article; passes on only new relevant ones (so `-O out.jsonl` holds those)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.sessions = make_sessionmaker(settings["CKMON_DATABASE_URL"])
        self.analyzer = shared_analyzer(
            settings["CKMON_DATABASE_URL"],
            settings.get("CKMON_RELEVANCE_RULES") or "",
            settings.get("CKMON_TOPICS") or "",
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def _store_failed(self, exc: SQLAlchemyError, item: dict[str, Any]) -> NoReturn:
        """A store that refuses a write (full disk, quota, lost server) fails the outlet's crawl:
        counted, logged once per cause, the spider closed so no more pages are fetched for
        nothing (its feed validators are not saved: the next run asks for the articles again)."""
        stats, engine = self.crawler.stats, self.crawler.engine
        assert stats is not None and engine is not None  # not input: Scrapy sets both
        logger = getattr(self.crawler.spider, "logger", log)
        cause = store_cause(exc)
        stats.inc_value("ckmon/store_failed")
        if stats.get_value(STORE_ERROR_STAT) is None:
            stats.set_value(STORE_ERROR_STAT, cause)
            logger.error("store failed, crawl stopped: %s (at %s)", cause, item["url"])
            deferred_from_coro(engine.close_spider_async(reason=STORE_FAILED))
        else:
            logger.debug("store failed, article not stored: %s: %s", item["url"], cause)
        raise DropItem(f"not stored: {item['url']}: {cause}", log_level="DEBUG")

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        spider = self.crawler.spider
        source = getattr(spider, "source", None)
        stats = self.crawler.stats
        assert stats is not None  # not an assert of input: Scrapy always sets stats
        try:
            with self.sessions() as session:
                result = ingest(
                    Article.from_dict(item),
                    session,
                    self.analyzer,
                    bilateral=bool(source and source.bilateral),
                    outlet_title=source.title if source else "",
                )
        except SQLAlchemyError as exc:
            self._store_failed(exc, item)
        crashpoint("article-stored")  # tests: killed between two stored articles
        if result.status == "seen":
            stats.inc_value("ckmon/articles_seen")
            raise DropItem(f"already stored: {item['url']}", log_level="DEBUG")
        stats.inc_value("ckmon/articles_new")
        if not result.relevant:
            raise DropItem(
                f"not about Cambodia-Korea relations (score {result.score}): {item['url']}",
                log_level="DEBUG",
            )
        stats.inc_value("ckmon/articles_relevant")
        return {
            **item,
            "id": result.article_id,
            "relevant": True,
            "score": result.score,
            "topics": list(result.topics),
            "cluster": result.cluster_id,
        }
