"""Tests hold on any date: the loopback servers render fixture dates relative to the moment they
start (`render_dates`), and a crawl a year from now stores what it stores today.

The year-ahead crawl is the guard: an absolute date slipped back into tests/sites (or into the
servers) makes an article too old for the crawl's default window a year from now, and this test
fails on any day, not only once that date has aged.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from digest.analysis.dates import parse_date
from digest.deliver.edition import edition_key
from digest.fetch.localsite import render_dates
from tests.support.cli import ckmon
from tests.support.crawlsite import EXPECTED, serve_sites, workspace

NOW = datetime(2026, 11, 25, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("placeholder", "rendered"),
    [
        ("{{ago:1d15h}}", "Mon, 23 Nov 2026 09:00:00 GMT"),
        ("{{ago:1d15h:rfc822}}", "Mon, 23 Nov 2026 09:00:00 GMT"),
        ("{{ago:1d15h:rfc822+07:00}}", "Mon, 23 Nov 2026 16:00:00 +0700"),
        ("{{ago:1d15h:iso}}", "2026-11-23T09:00:00+00:00"),
        ("{{ago:1d15h:isoZ}}", "2026-11-23T09:00:00Z"),
        ("{{ago:1d15h:iso+09:00}}", "2026-11-23T18:00:00+09:00"),
        ("{{ago:4d21h30m:iso-05:00}}", "2026-11-19T21:30:00-05:00"),
        ("{{ago:10s:iso}}", "2026-11-24T23:59:50+00:00"),
        ("{{ago:1d15h:date}}", "2026-11-23"),
        ("{{ago:1d:date-05:00}}", "2026-11-23"),  # the day as a reader in that zone sees it
        ("{{ago:1d15h:long+07:00}}", "23 November 2026"),
        ("{{ago:1d15h:gdelt}}", "20261123T090000Z"),
        ("{{ago:1d15h:ko+09:00}}", "2026년 11월 23일 18:00"),
        ("{{ago:1d15h:km+07:00}}", "២៣ វិច្ឆិកា ២០២៦ ម៉ោង ១៦:០០"),
    ],
)
def test_placeholders_render_relative_to_the_servers_start(placeholder: str, rendered: str) -> None:
    page = f"<p>{placeholder}</p>".encode()
    assert render_dates(page, NOW).decode() == f"<p>{rendered}</p>"


def test_korean_and_khmer_forms_read_back_as_the_same_moment() -> None:
    moment = NOW - timedelta(days=1, hours=15)
    for form, lang in (("ko+09:00", "ko"), ("km+07:00", "km")):
        text = render_dates(f"{{{{ago:1d15h:{form}}}}}".encode(), NOW).decode()
        assert parse_date(text, lang) == moment, text


def test_absolute_dates_and_other_braces_are_left_alone() -> None:
    page = b"<pubDate>Tue, 10 Sep 2019 05:00:00 +0000</pubDate> {BASE} {{ago:}} {{ago:3x}}"
    assert render_dates(page, NOW) == page


def test_an_unknown_form_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown date format 'rss'"):
        render_dates(b"{{ago:1d:rss}}", NOW)


def test_a_crawl_a_year_from_now_stores_what_it_stores_today(tmp_path: Path) -> None:
    """`ckmon run` over the five sample outlets with the clock a year ahead, for this process (the
    loopback server) and the child alike, in the crawl's default window (no --since)."""
    with time_machine.travel(datetime.now(UTC) + timedelta(days=365), tick=True):
        ahead = datetime.now(UTC)
        with serve_sites() as (base, _):
            config = workspace(tmp_path, base, "ahead")
            ran = ckmon(config, "run", at=datetime.now(UTC))
        weeks = {
            edition_key(when, ZoneInfo("Asia/Phnom_Penh")) for when in (ahead, datetime.now(UTC))
        }
    assert ran.returncode == 0, ran.stdout + ran.stderr[-3000:]
    with sqlite3.connect(config.parent / "data" / "ckmon.sqlite") as db:
        urls = [url for (url,) in db.execute("SELECT canonical_url FROM articles")]
        started = [when for (when,) in db.execute("SELECT started_at FROM crawl_runs")]
    assert sorted("/" + url.split("/", 3)[3] for url in urls) == sorted(EXPECTED)
    # The child's clock was a year ahead too: its runs and its edition are of that day.
    assert len(started) == 5
    for when in started:
        assert abs(datetime.fromisoformat(when).replace(tzinfo=UTC) - ahead) < timedelta(hours=1)
    assert any(f"edition {week} written to the outbox" in ran.stdout for week in weeks), (
        weeks,
        ran.stdout,
    )
