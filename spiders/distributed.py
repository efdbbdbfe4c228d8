"""Several crawl workers, one crawl: scrapy-redis's shared scheduler and duplicate filter.

Switched on by `[redis] url` in ckmon.toml (or $CKMON_REDIS_URL). Every worker that runs the same
outlet's spider then takes requests from one Redis queue, and a URL requested by one worker is not
requested by another. The queue persists between runs, so an interrupted crawl resumes.
"""

from __future__ import annotations

import uuid
import warnings
from datetime import UTC, datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from digest.config import RedisConfig


def apply_redis(settings: BaseSettings, config: RedisConfig, today: datetime | None = None) -> None:
    """Turn scrapy-redis on when a Redis URL is configured; a no-op otherwise."""
    if not config.url:
        return
    # scrapy-redis 0.9 passes `spider=` to the stats collector, deprecated since Scrapy 2.19: known,
    # not ours to fix, and not worth a warning in every worker's log (pinned below 0.10).
    warnings.filterwarnings(
        "ignore",
        message="Passing a 'spider' argument to StatsCollector",
        category=ScrapyDeprecationWarning,
        module="scrapy_redis.scheduler",
    )
    day = (today or datetime.now(UTC)).strftime("%Y-%m-%d")
    values = {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": config.persist,
        "REDIS_URL": config.url,
        # One duplicate filter per day: workers started together share it, and an article whose
        # fetch failed for good today is asked for again by tomorrow's crawl.
        "SCHEDULER_DUPEFILTER_KEY": f"ckmon:%(spider)s:dupefilter:{day}",
        "SCHEDULER_QUEUE_KEY": "ckmon:%(spider)s:requests",
    }
    for name, value in values.items():
        settings.set(name, value, priority="project")
    middlewares = settings.getdict("SPIDER_MIDDLEWARES")
    middlewares[f"{__name__}.RefetchStartRequests"] = 50
    settings.set("SPIDER_MIDDLEWARES", middlewares, priority="project")


class RefetchStartRequests(BaseSpiderMiddleware):
    """Feeds and other start URLs are fetched on every run by every worker, never dropped by the
    shared filter.

    Each worker marks its start requests as its own: the shared queue is a Redis sorted set, which
    keeps two identical entries once, so two workers starting together would otherwise read a feed
    once between them.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.worker = uuid.uuid4().hex[:12]

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if response is None:
            meta = {**request.meta, "ckmon_worker": self.worker}
            return request.replace(dont_filter=True, meta=meta)
        return request
