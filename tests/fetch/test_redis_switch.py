"""`[redis] url` switches the crawl to scrapy-redis's shared scheduler and duplicate filter."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from scrapy import Request, Spider
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from scrapy_redis.queue import PriorityQueue

from digest.config import load_config
from digest.errors import ConfigError
from spiders.distributed import RefetchStartRequests, apply_redis


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CKMON_REDIS_URL", raising=False)
    monkeypatch.delenv("CKMON_CONFIG", raising=False)


def test_redis_url_turns_on_scrapy_redis(tmp_path: Path) -> None:
    (tmp_path / "ckmon.toml").write_text(
        '[redis]\nurl = "redis://127.0.0.1:6379/3"\n', encoding="utf-8"
    )
    settings = Settings()
    apply_redis(settings, load_config(cwd=tmp_path).redis, today=datetime(2026, 11, 23, tzinfo=UTC))
    assert settings["SCHEDULER"] == "scrapy_redis.scheduler.Scheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST") is True
    assert settings["REDIS_URL"] == "redis://127.0.0.1:6379/3"
    assert settings["SCHEDULER_DUPEFILTER_KEY"] == "ckmon:%(spider)s:dupefilter:2026-11-23"
    assert "spiders.distributed.RefetchStartRequests" in settings.getdict("SPIDER_MIDDLEWARES")


def test_environment_wins_and_persist_can_be_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ckmon.toml").write_text(
        '[redis]\nurl = "redis://filehost/0"\npersist = false\n', encoding="utf-8"
    )
    monkeypatch.setenv("CKMON_REDIS_URL", "redis://envhost:6380/1")
    settings = Settings()
    apply_redis(settings, load_config(cwd=tmp_path).redis)
    assert settings["REDIS_URL"] == "redis://envhost:6380/1"
    assert settings.getbool("SCHEDULER_PERSIST") is False


def test_without_redis_scrapy_keeps_its_own_scheduler(tmp_path: Path) -> None:
    settings = Settings()
    apply_redis(settings, load_config(cwd=tmp_path).redis)
    assert settings["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert "REDIS_URL" not in settings


def test_redis_url_must_be_a_redis_url(tmp_path: Path) -> None:
    (tmp_path / "ckmon.toml").write_text('[redis]\nurl = "localhost:6379"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[redis\]: 'url'"):
        load_config(cwd=tmp_path)


def test_two_workers_start_requests_are_both_queued(redis_url: str) -> None:
    """Two workers asking for one feed put two entries in the shared queue (a Redis sorted set
    keeps identical entries once): each worker reads the feed, none is left without work."""
    spider = Spider(name="gazette")
    client = redis.Redis.from_url(redis_url)
    queue = PriorityQueue(client, spider, "ckmon:%(spider)s:requests")
    feed = Request("http://127.0.0.1:8000/feed.rss", meta={"ckmon_discovery": True})
    for _ in range(2):  # each worker process has its own middleware
        queue.push(RefetchStartRequests(get_crawler()).get_processed_request(feed, None))
    assert len(queue) == 2
    first, second = queue.pop(), queue.pop()
    assert first.url == second.url == feed.url and first.dont_filter and second.dont_filter
    assert first.meta["ckmon_discovery"] is True
    client.close()
