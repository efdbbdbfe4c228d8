"""The start day of a crawl: `-a since=YYYY-MM-DD`, else `[crawl] backfill_days` back from now."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from digest.fetch.localsite import serve
from digest.fetch.sources import Source
from spiders.addon import CkmonAddon
from spiders.kinds.site import SiteSpider
from tests.support.cli import ckmon, write_workspace

SOURCE = Source("sample", "Sample", "en", "https://x.example/", "feed", ("https://x.example/f",))
SampleSpider = type("SampleSpider", (SiteSpider,), {"name": "sample", "source": SOURCE})


def test_since_argument_is_the_start_of_that_day() -> None:
    spider = SampleSpider.from_crawler(get_crawler(SampleSpider), since="2026-11-01")
    assert spider.since == datetime(2026, 11, 1, tzinfo=UTC)


def test_without_since_the_backfill_bound_applies() -> None:
    crawler = get_crawler(SampleSpider, {"CKMON_BACKFILL_DAYS": 3})
    spider = SampleSpider.from_crawler(crawler)
    before = datetime.now(UTC)  # the bound is taken when first read, once settings are complete
    since = spider.since
    after = datetime.now(UTC)
    assert before - timedelta(days=3) <= since <= after - timedelta(days=3)
    assert spider.since == since  # and kept for the whole crawl


def test_backfill_days_comes_from_ckmon_toml(tmp_path: Path) -> None:
    config = tmp_path / "ckmon.toml"
    config.write_text("[crawl]\nbackfill_days = 5\n", encoding="utf-8")
    settings = Settings({"CKMON_CONFIG": str(config)})
    CkmonAddon().update_settings(settings)
    assert settings.getint("CKMON_BACKFILL_DAYS") == 5


@pytest.mark.parametrize(
    ("backfill", "stored"), [(None, ["Five days old"]), (30, ["Five days old", "Twenty days old"])]
)
def test_backfill_days_of_ckmon_toml_bounds_a_real_crawl(
    tmp_path: Path, backfill: int | None, stored: list[str]
) -> None:
    """`[crawl] backfill_days` reaches the spiders of a `ckmon crawl` (Scrapy makes a spider before
    it applies the add-on's settings); without it, 14 days."""
    site = tmp_path / "site"
    site.mkdir()
    items = ""
    for title, age in (("Five days old", "5d"), ("Twenty days old", "20d")):
        name = title.lower().replace(" ", "-") + ".html"
        items += f"<item><title>{title}</title><link>{{BASE}}/{name}</link>"
        items += f"<pubDate>{{{{ago:{age}}}}}</pubDate></item>"
        (site / name).write_text(_page(title, age), encoding="utf-8")
    (site / "feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>',
        encoding="utf-8",
    )
    with serve(site) as (base, _):
        config = write_workspace(
            tmp_path,
            f'[aged]\ntitle = "Aged"\nlang = "en"\nhome = "{base}/"\nkind = "feed"\n'
            f'feeds = ["{base}/feed.xml"]\n',
        )
        if backfill is not None:
            text = config.read_text(encoding="utf-8")
            config.write_text(text.replace("[crawl]\n", f"[crawl]\nbackfill_days = {backfill}\n"))
        ran = ckmon(config, "crawl")
    assert ran.returncode == 0, ran.stderr[-3000:]
    with sqlite3.connect(tmp_path / "data" / "ckmon.sqlite") as db:
        titles = sorted(title for (title,) in db.execute("SELECT title FROM articles"))
    assert titles == stored


def _page(title: str, age: str) -> str:
    """An article page written for this test, dated `age` before its server started."""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:published_time" content="{{{{ago:{age}:iso}}}}"></head><body>'
        f"<article><h1>{title}</h1><p>Cambodia and South Korea signed a training accord in "
        "Phnom Penh, officials said, in a page written for ckmon's backfill test.</p><p>The "
        "Korean embassy said the accord covers Cambodian workers bound for Korea.</p>"
        "</article></body></html>"
    )


def test_bad_since_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="since must be YYYY-MM-DD, got '2026/11/01'"):
        SampleSpider.from_crawler(get_crawler(SampleSpider), since="2026/11/01")


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("2003-06-10T04:00:00+99:99", None),  # no such offset: feedparser moved it 4 days
        ("2026-11-20T09:00:00+25:00", None),
        ("0001-01-01T00:00:00+14:00", None),  # before the web: no article's date
        ("1994-12-31T23:00:00Z", None),
        ("2026-11-20T09:00:00+09:00", datetime(2026, 11, 20, 0, 0, tzinfo=UTC)),
        ("Fri, 20 Nov 2026 09:00:00 +0700", datetime(2026, 11, 20, 2, 0, tzinfo=UTC)),
    ],
)
def test_a_nonsense_feed_date_is_no_date_not_an_old_one(
    written: str, read: datetime | None
) -> None:
    """An entry whose date cannot be real is judged by its page's date, never skipped as old."""
    import feedparser

    from spiders.kinds.feed import entry_time

    body = (
        "<rss version='2.0'><channel><item><title>t</title><link>http://a.test/1</link>"
        f"<pubDate>{written}</pubDate></item></channel></rss>"
    )
    (entry,) = feedparser.parse(body.encode()).entries
    assert entry_time(entry) == read
