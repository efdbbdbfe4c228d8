"""`ckmon run` and `ckmon schedule` as real processes: the lock, SIGTERM, quiet output."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.config import load_config
from digest.deliver.edition import edition_key
from digest.runlock import hold_lock
from tests.support.children import Children
from tests.support.cli import ckmon
from tests.support.crawlsite import DEAD_OUTLET, UNREACHABLE
from tests.support.slow_site import slow_site, workspace

ARTICLES = 6
PP = ZoneInfo("Asia/Phnom_Penh")  # the default time zone: editions are named by its weeks
# Scrapy's line once a stop has begun: no request starts after it, the one in flight is finished.
STOPPING = "Closing spider (shutdown)"


def _db(tmp: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp / "data" / "ckmon.sqlite")


def _assert_store_whole(db: sqlite3.Connection) -> int:
    """Integrity holds and every stored article is complete; returns how many there are."""
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    half = db.execute(
        "SELECT id FROM articles WHERE title = '' OR text = '' OR content_hash = '' "
        "OR first_seen_at IS NULL OR outlet_id IS NULL OR canonical_url = ''"
    ).fetchall()
    assert half == []
    return db.execute("SELECT count(*) FROM articles").fetchone()[0]


def test_two_concurrent_runs_exactly_one_works(tmp_path: Path, children: Children) -> None:
    with slow_site(ARTICLES, hold_after=1) as site:
        config = workspace(tmp_path, site.base)
        first = children.ckmon(config, "run")
        site.wait_held(first)  # the first run holds the lock and is crawling, until released
        began = time.monotonic()
        second = ckmon(config, "run")
        second_took = time.monotonic() - began
        site.release()
        out, err = first.communicate(timeout=120)

    assert second.returncode == 75, second.stdout + second.stderr
    assert "another ckmon is already running" in second.stderr
    assert f"ckmon run, pid {first.pid}" in second.stderr
    assert second.stdout == ""
    assert second_took < 20  # at once: it never waits for the lock (the first ran longer)
    assert first.returncode == 0, out + err
    assert out.strip().splitlines()[-1].startswith("run: ok; 1 outlets, 0 failed, 6 new")
    db = _db(tmp_path)
    assert db.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == 1  # only one crawled
    assert db.execute("SELECT count(*) FROM editions WHERE status = 'sent'").fetchone()[0] == 1
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_sigterm_during_crawl_then_next_run_completes(tmp_path: Path, children: Children) -> None:
    with slow_site(ARTICLES, hold_after=2) as site:
        config = workspace(tmp_path, site.base)
        run = children.ckmon(config, "run", "-v")  # -v: Scrapy's log, where it says it stops
        site.wait_held(run)  # two articles stored, the third in flight
        run.send_signal(signal.SIGTERM)
        run.wait_for_line(STOPPING)
        site.release()
        out, err = run.communicate(timeout=60)
        served_before = len(site.served)

        assert run.returncode == 130, out + err
        assert "run: interrupted during the crawl" in err
        db = _db(tmp_path)
        stored = _assert_store_whole(db)
        assert 1 <= stored < ARTICLES, (stored, site.requested)
        assert served_before < ARTICLES  # the crawl really stopped half-way
        assert db.execute("SELECT count(*) FROM editions").fetchone()[0] == 0  # no digest begun
        db.close()

        again = ckmon(config, "run")
    assert again.returncode == 0, again.stdout + again.stderr
    db = _db(tmp_path)
    assert _assert_store_whole(db) == ARTICLES
    assert db.execute("SELECT count(*) FROM editions WHERE status = 'sent'").fetchone()[0] == 1
    assert "run: ok; 1 outlets, 0 failed" in again.stdout


def test_quiet_run_prints_nothing_on_success(tmp_path: Path) -> None:
    with slow_site(2) as site:
        config = workspace(tmp_path, site.base, '\n[log]\nfile = "log/ckmon.log"\n')
        quiet = ckmon(config, "run", "--quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "" and quiet.stderr == ""
    logged = (tmp_path / "log" / "ckmon.log").read_text(encoding="utf-8")
    assert "Spider closed (finished)" in logged  # the file keeps INFO when stderr is quiet


def test_quiet_run_still_reports_failure(tmp_path: Path) -> None:
    # nothing listens there: robots.txt and the feed are refused
    config = workspace(tmp_path, UNREACHABLE, '\n[log]\nfile = "logs/ckmon.log"\n')
    ran = ckmon(config, "run", "-q")
    assert ran.returncode == 4
    assert ran.stdout == ""
    lines = ran.stderr.strip().splitlines()
    assert any(line.startswith("slow: FAILED") for line in lines)
    assert lines[-1].startswith("run: failed; 1 outlets, 1 failed")
    # only ckmon's own lines: not Scrapy's repetitions of the refusal, nor their tracebacks
    assert "Traceback" not in ran.stderr
    assert not [line for line in lines if " scrapy." in line], ran.stderr
    assert len(lines) <= 5, ran.stderr
    # the log file keeps what stderr left out, traced
    logged = (tmp_path / "logs" / "ckmon.log").read_text(encoding="utf-8")
    assert "scrapy.downloadermiddlewares.retry: Gave up retrying" in logged
    assert "Traceback" in logged and "ConnectionRefusedError" in logged


def test_one_failed_outlet_is_a_partial_run(tmp_path: Path) -> None:
    with slow_site(2) as site:
        config = workspace(tmp_path, site.base)
        with (tmp_path / "sources.toml").open("a", encoding="utf-8") as sources:
            sources.write("\n" + DEAD_OUTLET)
        before = datetime.now(UTC)
        ran = ckmon(config, "run", "--quiet")
        weeks = {edition_key(when, PP) for when in (before, datetime.now(UTC))}
    assert ran.returncode == 3, ran.stdout + ran.stderr
    assert ran.stdout == ""
    lines = ran.stderr.strip().splitlines()
    assert any(line.startswith("deadsite: FAILED") for line in lines)
    assert lines[-1].startswith("run: partial; 2 outlets, 1 failed, 2 new articles, 2 relevant;")
    # the outlets that worked still made the digest: this week's (not 2026's, as it was written)
    assert any(f"edition {week} written to the outbox" in lines[-1] for week in weeks), (
        weeks,
        lines[-1],
    )
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_schedule_refuses_to_start_beside_a_run(tmp_path: Path) -> None:
    config = workspace(tmp_path, UNREACHABLE)
    lock = load_config(config).schedule.lock_file
    with hold_lock(lock, "ckmon run"):
        began = time.monotonic()
        refused = ckmon(config, "schedule")
        took = time.monotonic() - began
    assert refused.returncode == 75
    assert f"ckmon run, pid {os.getpid()}" in refused.stderr
    assert took < 20
    assert not (tmp_path / "data" / "ckmon.sqlite").exists()  # it touched nothing


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_schedule_stops_cleanly_mid_crawl(tmp_path: Path, signum: int, children: Children) -> None:
    with slow_site(ARTICLES, hold_after=2) as site:
        config = workspace(tmp_path, site.base)
        scheduler = children.ckmon(config, "schedule")
        site.wait_held(scheduler)  # the catch-up crawl of a fresh store is under way, in a child
        scheduler.send_signal(signum)
        scheduler.wait_for_line(STOPPING)  # the crawl child's line, passed on by the scheduler
        site.release()
        out, err = scheduler.communicate(timeout=90)
        served = len(site.served)
    assert scheduler.returncode == 0, err
    assert "crawl on start: runs at once (nothing in the store yet)" in err.replace("  ", " ")
    assert "crawl: interrupted" in err
    assert "schedule: stopped" in err
    assert "digest: edition" not in err  # the queued digest was dropped, not half-run
    assert served < ARTICLES
    db = _db(tmp_path)
    assert _assert_store_whole(db) < ARTICLES
    assert db.execute("SELECT count(*) FROM editions").fetchone()[0] == 0
    # The lock went with the scheduler: a run may start now.
    with hold_lock(load_config(config).schedule.lock_file, "test"):
        pass
