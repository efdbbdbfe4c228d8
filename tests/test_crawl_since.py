"""The start day of a crawl: `-a since=YYYY-MM-DD`, else `[crawl] backfill_days` back from now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from digest.fetch.sources import Source
from spiders.addon import CkmonAddon
from spiders.kinds.site import SiteSpider

SOURCE = Source("sample", "Sample", "en", "https://x.example/", "feed", ("https://x.example/f",))
SampleSpider = type("SampleSpider", (SiteSpider,), {"name": "sample", "source": SOURCE})


def test_since_argument_is_the_start_of_that_day() -> None:
    spider = SampleSpider.from_crawler(get_crawler(SampleSpider), since="2026-11-01")
    assert spider.since == datetime(2026, 11, 1, tzinfo=UTC)


def test_without_since_the_backfill_bound_applies() -> None:
    crawler = get_crawler(SampleSpider, {"CKMON_BACKFILL_DAYS": 3})
    before = datetime.now(UTC)
    spider = SampleSpider.from_crawler(crawler)
    after = datetime.now(UTC)
    assert before - timedelta(days=3) <= spider.since <= after - timedelta(days=3)


def test_backfill_days_comes_from_ckmon_toml(tmp_path: Path) -> None:
    config = tmp_path / "ckmon.toml"
    config.write_text("[crawl]\nbackfill_days = 5\n", encoding="utf-8")
    settings = Settings({"CKMON_CONFIG": str(config)})
    CkmonAddon().update_settings(settings)
    assert settings.getint("CKMON_BACKFILL_DAYS") == 5


def test_bad_since_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="since must be YYYY-MM-DD, got '2026/11/01'"):
        SampleSpider.from_crawler(get_crawler(SampleSpider), since="2026/11/01")
