"""A store that refuses writes mid-crawl fails the run: exit code 6, one line per outlet naming the
cause, every outlet in the summary and marked failed in `ckmon sources`, no trace; and nothing is
lost: the next run, with room again, stores every article.

Two ways of refusing, both the real driver's own error: a real small filesystem (a tmpfs mounted
for the test, which needs root, as CI has) that fills up, and a SQLite trigger that refuses every
article insert past a few.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.badsite import serve_ports
from tests.support.cli import ckmon, write_workspace

ARTICLES = 20  # per outlet
FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Two outlets</title>'
    + "".join(
        f"<item><title>Generated {n}</title><link>{{BASE}}/gen/{n}.html</link></item>"
        for n in range(ARTICLES)
    )
    + "</channel></rss>"
).encode()


@pytest.fixture
def two_outlets(tmp_path: Path) -> Iterator[Path]:
    """A workspace crawling two outlets of 20 articles each; yields its config."""
    with serve_ports(tmp_path, 2, {"feed.xml": FEED}) as (bases, _):
        registry = "".join(
            f'[outlet{i}]\ntitle = "Outlet {i}"\nlang = "en"\nhome = "{base}/"\nkind = "feed"\n'
            f'feeds = ["{base}/feed.xml"]\nbilateral = true\n\n'
            for i, base in enumerate(bases)
        )
        yield write_workspace(tmp_path, registry)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """`tmp_path/data` as a 320 kB tmpfs: room for the empty store and a few articles."""
    data = tmp_path / "data"
    data.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=320k", "tmpfs", str(data)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs (needs root): {mounted.stderr.strip()}"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI runs as root)")
        pytest.skip(reason)
    try:
        yield data
    finally:
        subprocess.run(["umount", "-l", str(data)], check=False)


def _stored(config: Path) -> int:
    with sqlite3.connect(config.parent / "data" / "ckmon.sqlite") as db:
        return db.execute("SELECT count(*) FROM articles").fetchone()[0]


def _assert_failed_run(config: Path, ran: subprocess.CompletedProcess[str]) -> None:
    output = ran.stdout + ran.stderr
    assert ran.returncode == 6, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    for outlet in ("outlet0", "outlet1"):
        lines = [line for line in ran.stderr.splitlines() if line.startswith(f"{outlet}: ")]
        assert len(lines) == 1, ran.stderr[-3000:]
        assert lines[0].startswith(f"{outlet}: FAILED: store failed: database or disk is full")
    assert "crawl: 2 outlets, 2 failed" in ran.stderr
    sources = ckmon(config, "sources", timeout=60)
    for outlet in ("outlet0", "outlet1"):
        row = next(line for line in sources.stdout.splitlines() if line.startswith(outlet))
        assert " failed " in row and "last run failed: store failed" in row, sources.stdout


def test_a_disk_that_fills_mid_crawl_fails_the_run_and_loses_nothing(
    two_outlets: Path, small_disk: Path
) -> None:
    config = two_outlets
    assert ckmon(config, "sources", timeout=60).returncode == 0  # the empty store fits
    ran = ckmon(config, "crawl", "--since", "2020-01-01", timeout=180)
    _assert_failed_run(config, ran)
    assert _stored(config) < 2 * ARTICLES
    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
    again = ckmon(config, "crawl", "--since", "2020-01-01", timeout=180)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _stored(config) == 2 * ARTICLES


def test_a_store_that_refuses_inserts_fails_the_run_and_loses_nothing(two_outlets: Path) -> None:
    config = two_outlets
    assert ckmon(config, "sources", timeout=60).returncode == 0
    with sqlite3.connect(config.parent / "data" / "ckmon.sqlite") as db:
        db.execute(
            "CREATE TRIGGER quota BEFORE INSERT ON articles "
            "WHEN (SELECT count(*) FROM articles) >= 3 "
            "BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END"
        )
    ran = ckmon(config, "crawl", "--since", "2020-01-01", timeout=180)
    _assert_failed_run(config, ran)
    assert _stored(config) == 3
    with sqlite3.connect(config.parent / "data" / "ckmon.sqlite") as db:
        db.execute("DROP TRIGGER quota")
    again = ckmon(config, "crawl", "--since", "2020-01-01", timeout=180)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _stored(config) == 2 * ARTICLES


@pytest.mark.parametrize(
    ("stats", "reason", "cause"),
    [
        ({}, "finished", ""),
        ({"ckmon/article_fetch_failed": 2}, "finished", ""),  # counted, retried next run
        (
            {"ckmon/store_error": "database or disk is full", "ckmon/store_failed": 4},
            "store_failed",
            "store failed: database or disk is full (4 articles not stored)",
        ),
        ({}, "store_failed", "store failed: see the log"),
        (
            {"spider_exceptions/count": 2, "ckmon/item_errors": 1},
            "finished",
            "3 errors in ckmon's code, pages or articles lost (see the log's traces)",
        ),
    ],
)
def test_what_a_crawl_lost_is_one_line(stats: dict, reason: str, cause: str) -> None:
    """A crawl that lost something fails its outlet, whatever Scrapy's close reason."""
    from digest.fetch.failures import lost_cause

    assert lost_cause(stats, reason) == cause
