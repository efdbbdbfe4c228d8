"""Crawl state as plain functions over a real SQLite file: conditional GET, seen URLs, backoff,
per-outlet health, and the WARC archive."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from digest.deliver.health import outlet_health
from digest.fetch import warc
from digest.fetch.backoff import backoff_delay, retry_after_seconds
from digest.fetch.fetchstate import conditional_headers, remember
from digest.fetch.seen import STORED, is_stored
from digest.fetch.sources import Source
from digest.store.engine import get_outlet, make_sessionmaker
from digest.store.models import ArticleRow, CrawlRun

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def session(tmp_path: Path) -> Session:
    return make_sessionmaker(f"sqlite:///{tmp_path / 'store.sqlite'}")()


def test_conditional_get_with_periodic_full_fetch(tmp_path: Path) -> None:
    url = "https://news.example/feed/"
    with session(tmp_path) as s:
        assert conditional_headers(s, url, NOW, WEEK) == {}  # never fetched
        remember(
            s, url, etag='"abc"', last_modified="Mon, 23 Nov 2026 00:00:00 GMT", full=True, now=NOW
        )
        assert conditional_headers(s, url, NOW + timedelta(days=1), WEEK) == {
            "If-None-Match": '"abc"',
            "If-Modified-Since": "Mon, 23 Nov 2026 00:00:00 GMT",
        }
        # A 200 to a conditional request does not restart the full-fetch clock...
        remember(s, url, etag='"def"', last_modified="", full=False, now=NOW + timedelta(days=2))
        assert conditional_headers(s, url, NOW + timedelta(days=3), WEEK) == {
            "If-None-Match": '"def"'
        }
        # ...so a week after the last full fetch, the feed is fetched whole again.
        assert conditional_headers(s, url, NOW + WEEK, WEEK) == {}


def test_seen_by_canonical_or_fetched_url(tmp_path: Path) -> None:
    with session(tmp_path) as s:
        outlet = get_outlet(s, "gazette")
        s.add(
            ArticleRow(
                canonical_url="https://gazette.example/a/1",
                url="https://m.gazette.example/a/1?from=app",
                outlet_id=outlet.id,
                first_seen_at=NOW,
            )
        )
        s.commit()
        assert is_stored(s, "https://www.gazette.example/a/1?utm_source=rss")
        assert is_stored(s, "https://m.gazette.example/a/1?from=app")
        assert not is_stored(s, "https://gazette.example/a/2")


def test_seen_check_reads_two_indexes_not_the_whole_table(tmp_path: Path) -> None:
    """It runs before every article request: a scan would cost the size of the store each time."""
    with session(tmp_path) as s:
        sql = str(STORED.compile(s.get_bind()))
        plan = s.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", ("a", "b")).fetchall()
    details = [row[-1] for row in plan]
    assert not any(d.startswith("SCAN") for d in details), details
    assert any("sqlite_autoindex_articles_1 (canonical_url=?)" in d for d in details), details
    assert any("ix_articles_url (url=?)" in d for d in details), details


def test_retry_after_and_backoff() -> None:
    assert retry_after_seconds("120", NOW) == 120.0
    assert retry_after_seconds("Wed, 25 Nov 2026 10:00:30 GMT", NOW) == 30.0
    assert retry_after_seconds("Wed, 25 Nov 2026 09:00:00 GMT", NOW) == 0.0
    assert retry_after_seconds("soon", NOW) is None
    assert [backoff_delay(n, 2.0, 10.0) for n in range(4)] == [2.0, 4.0, 8.0, 10.0]


def _run(s: Session, outlet_id: int, day: int, **figures: int) -> None:
    s.add(
        CrawlRun(
            outlet_id=outlet_id,
            started_at=NOW - timedelta(days=10 - day),
            finished_at=NOW - timedelta(days=10 - day),
            status="ok",
            **figures,
        )
    )


def _source(name: str) -> Source:
    return Source(name, name.title(), "en", "https://x.example/", "feed", ("https://x.example/f",))


def test_health_flags(tmp_path: Path) -> None:
    with session(tmp_path) as s:
        quiet = get_outlet(s, "quiet")
        broken = get_outlet(s, "broken")
        fine = get_outlet(s, "fine")
        _run(s, quiet.id, 1, articles_new=4, articles_extracted=4)
        for day in (2, 3, 4):
            _run(s, quiet.id, day, requests=3, not_modified=1)
        for day in (2, 3, 4):
            _run(s, broken.id, day, articles_new=1, articles_extracted=1, extract_failed=3)
        _run(s, fine.id, 4, requests=9, articles_new=5, articles_extracted=5, extract_failed=1)
        s.add(
            ArticleRow(
                canonical_url="https://x/1", url="https://x/1", outlet_id=fine.id, first_seen_at=NOW
            )
        )
        s.commit()
        names = ["quiet", "broken", "fine", "never"]
        report = {
            h.name: h
            for h in outlet_health(
                s, {n: _source(n) for n in names}, stale_runs=3, failure_ratio=0.3
            )
        }
    assert report["quiet"].flags == ["no new article in 3 runs"]
    assert report["quiet"].requests == 3 and report["quiet"].not_modified == 1
    assert report["broken"].flags == ["extraction failed on 9 of 12 pages"]
    assert report["fine"].flags == [] and report["fine"].last_new_article_at == NOW
    assert report["fine"].failure_ratio == 1 / 6
    assert report["never"].flags == ["never crawled"]


def test_warc_round_trip_keeps_the_body_as_received(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    body = gzip.compress(b"<rss/>")
    warc.append(
        path,
        "https://x.example/feed",
        200,
        [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
        body,
    )
    warc.append(path, "https://x.example/feed", 304, [], b"")
    warc.append(path, "https://x.example/page", 404, [("Content-Type", "text/plain")], b"gone")
    archive = warc.load(path)
    feed = archive["https://x.example/feed"]
    assert feed.status == 200 and feed.body == body  # the later 304 does not hide the feed
    assert ("Content-Encoding", "gzip") in feed.headers
    assert all(k.lower() != "transfer-encoding" for k, _ in feed.headers)
    assert archive["https://x.example/page"].status == 404


def test_warc_errors_are_clear(tmp_path: Path) -> None:
    import pytest

    with pytest.raises(warc.ArchiveError, match="not found"):
        warc.load(tmp_path / "missing.warc.gz")
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(b"this is not an archive")
    with pytest.raises(warc.ArchiveError, match="not a WARC"):
        warc.load(bad)


def test_runs_left_running_by_a_killed_crawl_are_closed_as_failed(tmp_path: Path) -> None:
    from digest.fetch.crawl import close_abandoned

    with session(tmp_path) as s:
        outlet = get_outlet(s, "gazette")
        s.add(CrawlRun(outlet_id=outlet.id, started_at=NOW - WEEK, status="ok", articles_new=2))
        killed = CrawlRun(outlet_id=outlet.id, started_at=NOW - timedelta(hours=3))
        current = CrawlRun(outlet_id=outlet.id, started_at=NOW - timedelta(minutes=10))
        s.add_all([killed, current])
        s.commit()
        assert close_abandoned(s, NOW - timedelta(hours=2)) == 1
        s.refresh(killed)
        s.refresh(current)
        assert (killed.status, current.status) == ("failed", "running")
        (health,) = outlet_health(s, {"gazette": _source("gazette")})
        assert health.last_status == "failed"
        assert any("did not finish" in flag for flag in health.flags), health.flags
