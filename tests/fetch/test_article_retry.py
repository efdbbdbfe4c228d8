"""An article page that still fails after the retries (a 5xx) is asked again on the next run:
the feed's validators are not saved, so the feed is read whole and the missing page fetched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.cli import ckmon, days_ago, write_workspace
from tests.support.crawlsite import serve_sites

FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Water desk</title>
<item><title>Water plant</title><link>{BASE}/water.html</link>
<pubDate>{{ago:1d}}</pubDate></item></channel></rss>"""

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Korean lenders fund a Cambodian water plant</title>
<meta property="article:published_time" content="{{ago:1d:iso+07:00}}"></head>
<body><article><h1>Korean lenders fund a Cambodian water plant</h1>
<p>South Korea's development fund signed a loan with Cambodia in Phnom Penh on Monday for a
water treatment plant, an article written for ckmon's retry test.</p>
<p>The Korean embassy said the plant would serve two districts of the Cambodian capital.</p>
</article></body></html>"""


def _stored(config: Path) -> list[str]:
    with sqlite3.connect(config.parent / "data" / "ckmon.sqlite") as conn:
        return [title for (title,) in conn.execute("SELECT title FROM articles")]


def test_an_article_that_failed_with_503_is_fetched_on_the_next_run(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "feed.xml").write_text(FEED, encoding="utf-8")
    (site / "water.html").write_text(PAGE, encoding="utf-8")
    down = {"water.html"}
    with serve_sites(site, down=down) as (base, log):
        config = write_workspace(
            tmp_path,
            f'[waterdesk]\ntitle = "Water Desk"\nlang = "en"\nhome = "{base}/"\n'
            f'kind = "feed"\nfeeds = ["{base}/feed.xml"]\n',
        )
        config.write_text(
            config.read_text() + "RETRY_TIMES = 1\nCKMON_RETRY_BACKOFF = 0.1\n", encoding="utf-8"
        )
        first = ckmon(config, "crawl", "-v", "--since", days_ago(30))
        assert "article fetch failed" in first.stderr and "HTTP 503" in first.stderr, first.stderr
        assert ("/water.html", 503) in log.hits
        assert _stored(config) == []

        down.clear()
        log.clear()
        second = ckmon(config, "crawl", "-v", "--since", days_ago(30))
        assert second.returncode == 0, second.stderr
        # the feed read whole (no validator saved after the failed page), then the page
        assert ("/feed.xml", 200) in log.hits, log.hits
        assert _stored(config) == ["Korean lenders fund a Cambodian water plant"]

        log.clear()
        third = ckmon(config, "crawl", "-v", "--since", days_ago(30))
        assert third.returncode == 0, third.stderr
        assert ("/feed.xml", 304) in log.hits  # now the validator is kept
        assert not [path for path, _ in log.hits if path == "/water.html"]


def test_an_article_that_drips_is_given_up_at_download_timeout(tmp_path: Path) -> None:
    # Scrapy's DOWNLOAD_TIMEOUT is a deadline on the whole download (it cancels the request
    # after that many seconds, body included), not a read timeout: a page sent one byte every
    # 0.1 s is dropped at 2 s, while each read gets data well within any read timeout.
    timeout, margin = 2.0, 3.0
    site = tmp_path / "site"
    site.mkdir()
    (site / "feed.xml").write_text(FEED, encoding="utf-8")
    (site / "water.html").write_text(PAGE, encoding="utf-8")
    with serve_sites(site, trickle={"water.html": 0.1}) as (base, log):
        config = write_workspace(
            tmp_path,
            f'[waterdesk]\ntitle = "Water Desk"\nlang = "en"\nhome = "{base}/"\n'
            f'kind = "feed"\nfeeds = ["{base}/feed.xml"]\n',
        )
        config.write_text(
            config.read_text() + f"RETRY_TIMES = 0\nDOWNLOAD_TIMEOUT = {timeout}\n",
            encoding="utf-8",
        )
        result = ckmon(config, "crawl", "-v", "--since", "2026-11-01", timeout=60)
    assert "article fetch failed" in result.stderr and "took longer than 2" in result.stderr
    assert _stored(config) == []
    [drip] = log.dripped("/water.html")
    assert drip.hung_up is not None and len(drip.sent) >= 5  # still dripping when cut
    assert drip.hung_up - drip.started <= timeout + margin
