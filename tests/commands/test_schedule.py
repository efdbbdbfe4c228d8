"""The scheduler with an injected clock: APScheduler's real triggers, misfire handling and catch-up.

time-machine moves the clock that both APScheduler and ckmon read; the jobs are the real ones (the
crawl is a `python -m digest crawl` child on the loopback test site).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner
from sqlalchemy import select

from digest.cli import cli
from digest.config import Config, load_config
from digest.schedule import (
    CRAWL_JOB,
    DIGEST_JOB,
    Jobs,
    build_scheduler,
    catch_up,
    crawl_trigger,
    describe,
    digest_trigger,
    fire_times,
    last_fire_since,
)
from digest.store.engine import get_outlet, make_sessionmaker
from digest.store.models import CrawlRun, Edition
from tests.support.crawlsite import DEAD_OUTLET
from tests.support.slow_site import workspace

PP = ZoneInfo("Asia/Phnom_Penh")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A moment in Phnom Penh time, 2026 (Monday 23 and 30 November are send days)."""
    return datetime(2026, month, day, hour, minute, tzinfo=PP)


def now() -> datetime:
    return datetime.now(UTC)  # time-machine's clock while travelling


@pytest.fixture
def config(tmp_path: Path, site: tuple[str, list[str]]) -> Config:
    base, _ = site
    path = workspace(tmp_path, base)
    (tmp_path / "sources.toml").write_text(
        f'[gazette]\ntitle = "Test Gazette"\nlang = "en"\nhome = "{base}/"\nkind = "feed"\n'
        f'feeds = ["{base}/feed.xml"]\n',
        encoding="utf-8",
    )
    return load_config(path)


def history(config: Config, *, sent_at: datetime, crawled_at: datetime) -> None:
    """A store that sent an edition at `sent_at` and last crawled at `crawled_at`."""
    Jobs(config, lambda: sent_at).digest()  # a fresh store: the first edition goes at once
    with make_sessionmaker(config.store.url)() as session:
        outlet = get_outlet(session, "gazette", "Test Gazette", "en")
        session.add(CrawlRun(outlet_id=outlet.id, started_at=crawled_at, status="ok"))
        session.commit()


def sent_editions(config: Config) -> list[str]:
    with make_sessionmaker(config.store.url)() as session:
        return list(
            session.scalars(
                select(Edition.key).where(Edition.status == "sent").order_by(Edition.key)
            )
        )


def running_runs(config: Config) -> list[int]:
    with make_sessionmaker(config.store.url)() as session:
        return list(session.scalars(select(CrawlRun.id).where(CrawlRun.status == "running")))


class Recorder:
    """Collects job events so a test can wait for runs without sleeping blindly."""

    def __init__(self, scheduler: BackgroundScheduler) -> None:
        self.events: list[tuple[int, str]] = []
        self.changed = threading.Condition()
        scheduler.add_listener(
            self.on_event,
            EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES,
        )

    def on_event(self, event: JobEvent) -> None:
        with self.changed:
            self.events.append((event.code, event.job_id))
            self.changed.notify_all()

    def wait(self, count: int, timeout: float = 90) -> list[tuple[int, str]]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.events) >= count, timeout), self.events
            return list(self.events)


@pytest.fixture
def started() -> Iterator[list[tuple[BackgroundScheduler, Jobs]]]:
    """Schedulers a test started, with their jobs: stopped after the test, passed or failed (a
    crawl child still running gets SIGTERM, then SIGKILL), so none outlives it."""
    schedulers: list[tuple[BackgroundScheduler, Jobs]] = []
    yield schedulers
    for scheduler, jobs in schedulers:
        jobs.stop()
        if scheduler.running:
            scheduler.shutdown(wait=True)


def test_triggers_follow_the_configured_zone(config: Config) -> None:
    assert fire_times(digest_trigger(config), at(23, 7, 1), 2) == [at(30, 7), at(7, 7, month=12)]
    assert fire_times(crawl_trigger(config), at(30, 5, 59), 3) == [
        at(30, 6),
        at(30, 12),
        at(30, 18),
    ]
    assert last_fire_since(crawl_trigger(config), at(30, 0), at(30, 19)) == at(30, 18)
    assert last_fire_since(crawl_trigger(config), at(30, 0), at(30, 5, 59)) is None


def test_late_jobs_run_once(
    config: Config, started: list[tuple[BackgroundScheduler, Jobs]]
) -> None:
    history(config, sent_at=at(23, 7), crawled_at=at(30, 0))
    # An hour before the crawl's 06:00 fire time: however slowly the scheduler starts on a busy
    # machine, nothing fires before the clock is moved below.
    with time_machine.travel(at(30, 5), tick=True) as clock:
        plan = catch_up(config, now())
        assert (plan.crawl, plan.digest) == (None, None)  # nothing missed at start
        jobs = Jobs(config, now)
        scheduler = build_scheduler(config, jobs, plan, scheduler_class=BackgroundScheduler)
        recorder = Recorder(scheduler)
        started.append((scheduler, jobs))
        scheduler.start()
        assert scheduler.get_job(CRAWL_JOB).next_run_time == at(30, 6)
        assert scheduler.get_job(DIGEST_JOB).next_run_time == at(30, 7)

        # The machine sleeps through 06:00, 07:00, 12:00 and 18:00 and wakes at 19:00: the digest
        # is 12 hours late, the crawl missed three fire times. Each runs once, crawl first.
        clock.move_to(at(30, 19))
        scheduler.wakeup()
        events = recorder.wait(2)
        assert events == [(EVENT_JOB_EXECUTED, CRAWL_JOB), (EVENT_JOB_EXECUTED, DIGEST_JOB)]
        assert scheduler.get_job(CRAWL_JOB).next_run_time == at(1, 0, month=12)
        assert scheduler.get_job(DIGEST_JOB).next_run_time == at(7, 7, month=12)

        scheduler.wakeup()  # nothing more is due
        clock.shift(60)
        scheduler.wakeup()
        # APScheduler runs a job once its next run time has come: neither has, a minute later.
        assert scheduler.get_job(CRAWL_JOB).next_run_time == at(1, 0, month=12) > now()
        assert scheduler.get_job(DIGEST_JOB).next_run_time == at(7, 7, month=12) > now()
        scheduler.shutdown(wait=True)  # a job started meanwhile would finish, and be recorded
        assert recorder.events == events
    assert sent_editions(config) == ["2026-W48", "2026-W49"]
    assert (config.digest.outbox / "ckmon-2026-W49.eml").is_file()


def test_machine_off_over_send_time_sends_on_start(
    config: Config, started: list[tuple[BackgroundScheduler, Jobs]]
) -> None:
    history(config, sent_at=at(23, 7), crawled_at=at(29, 18))
    # Off from Sunday evening to Tuesday morning: Monday 07:00 passed with nothing running.
    with time_machine.travel(at(1, 9, month=12), tick=True):
        plan = catch_up(config, now())
        assert plan.digest == at(30, 7) and plan.crawl == at(1, 6, month=12)
        lines = describe(config, plan)
        assert (
            "digest on start: runs at once (missed Mon 2026-11-30 07:00 +07; "
            "last edition sent Mon 2026-11-23 07:00 +07)"
        ) in lines
        jobs = Jobs(config, now)
        scheduler = build_scheduler(config, jobs, plan, scheduler_class=BackgroundScheduler)
        recorder = Recorder(scheduler)
        started.append((scheduler, jobs))
        scheduler.start()
        events = recorder.wait(2)
        assert events == [(EVENT_JOB_EXECUTED, CRAWL_JOB), (EVENT_JOB_EXECUTED, DIGEST_JOB)]
        assert scheduler.get_job(DIGEST_JOB).next_run_time == at(7, 7, month=12)
        # Started again the same day, the digest is not missed any more. (The crawl child runs
        # on the real clock, outside time-machine, so its record says nothing about this day.)
        assert catch_up(config, now()).digest is None
    assert sent_editions(config) == ["2026-W48", "2026-W49"]


def test_machine_off_until_just_before_the_next_send_time_sends_on_start(config: Config) -> None:
    # Off over Monday 30 Nov 07:00 and back on Monday 7 Dec at 06:00, before that day's send
    # time: the catch-up digest must send the missed edition, not find "nothing due".
    history(config, sent_at=at(23, 7), crawled_at=at(29, 18))
    back = at(7, 6, month=12)
    assert catch_up(config, back).digest == at(30, 7)
    assert Jobs(config, lambda: back).digest() is not None
    assert sent_editions(config) == ["2026-W48", "2026-W50"]
    assert catch_up(config, back).digest is None
    assert Jobs(config, lambda: at(7, 7, month=12)).digest() is None  # that week's is sent


def test_jobs_are_fixed_coalesced_single_and_graceful(config: Config) -> None:
    with time_machine.travel(at(25, 10)):
        scheduler = build_scheduler(
            config, Jobs(config, now), catch_up(config, now()), BackgroundScheduler
        )
        scheduler.start(paused=True)
        try:
            jobs = {job.id: job for job in scheduler.get_jobs()}
        finally:
            scheduler.shutdown(wait=False)
    assert set(jobs) == {CRAWL_JOB, DIGEST_JOB}
    assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
    assert jobs[DIGEST_JOB].misfire_grace_time >= 24 * 3600


def test_dry_run_prints_next_fire_times(config: Config) -> None:
    history(config, sent_at=at(23, 7), crawled_at=at(25, 6))
    assert config.source_path is not None
    with time_machine.travel(at(25, 10)):
        result = CliRunner().invoke(
            cli, ["--config", str(config.source_path), "schedule", "--dry-run"]
        )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == (
        'crawl  "0 */6 * * *": next Wed 2026-11-25 12:00 +07, Wed 2026-11-25 18:00 +07, '
        "Thu 2026-11-26 00:00 +07"
    )
    assert lines[2] == (
        "digest mon 07:00: next Mon 2026-11-30 07:00 +07, Mon 2026-12-07 07:00 +07, "
        "Mon 2026-12-14 07:00 +07"
    )
    assert lines[3] == "crawl  on start: nothing missed (last crawl Wed 2026-11-25 06:00 +07)"
    assert not (config.base_dir / "data" / "ckmon.lock").exists()  # a check takes no lock


def test_dry_run_on_a_new_machine_creates_no_store(tmp_path: Path) -> None:
    (tmp_path / "ckmon.toml").write_text("", encoding="utf-8")  # embedded defaults
    result = CliRunner().invoke(
        cli, ["--config", str(tmp_path / "ckmon.toml"), "schedule", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "crawl  on start: runs at once (nothing in the store yet)" in result.output
    assert "digest on start: runs at once (nothing in the store yet)" in result.output
    assert not (tmp_path / "data").exists()


def test_hanging_crawl_is_stopped_and_reported(
    config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A server that accepts connections and never answers: the crawl hangs on its first request.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        base = f"http://127.0.0.1:{silent.getsockname()[1]}"
        (tmp_path / "sources.toml").write_text(
            f'[gazette]\ntitle = "T"\nlang = "en"\nhome = "{base}/"\nkind = "feed"\n'
            f'feeds = ["{base}/feed.xml"]\n',
            encoding="utf-8",
        )
        timeout = config.schedule.model_copy(update={"crawl_timeout": 3})
        jobs = Jobs(replace(config, schedule=timeout), now, kill_grace=2)
        caplog.set_level("INFO", logger="ckmon.schedule")
        began = time.monotonic()
        assert jobs.crawl() == "timeout"
    assert "crawl: still running after 3 s (crawl_timeout): stopping it" in caplog.text
    # Scrapy's graceful stop waits for the hung download (30 s timeout), so SIGKILL usually ends
    # it; on a loaded machine SIGTERM may land before Scrapy is up and end it by itself.
    assert re.search(r"crawl: timeout \(exit -(9|15)\) in \d+ s", caplog.text), caplog.text
    assert time.monotonic() - began < 3 + 2 + 5
    # The killed child could not close its outlet's run: the scheduler did, as failed.
    assert not running_runs(config), running_runs(config)


def test_stop_kills_a_crawl_that_does_not_stop(
    config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # SIGTERM or SIGINT while a download hangs: Scrapy's graceful stop would wait for it, so the
    # child is killed `kill_grace` seconds later, not at crawl_timeout, and its run is closed.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        base = f"http://127.0.0.1:{silent.getsockname()[1]}"
        (tmp_path / "sources.toml").write_text(
            f'[gazette]\ntitle = "T"\nlang = "en"\nhome = "{base}/"\nkind = "feed"\n'
            f'feeds = ["{base}/feed.xml"]\n',
            encoding="utf-8",
        )
        jobs = Jobs(config, now, kill_grace=2)  # crawl_timeout stays 7200 s
        caplog.set_level("INFO", logger="ckmon.schedule")
        outcome: list[str] = []
        crawling = threading.Thread(target=lambda: outcome.append(jobs.crawl()))
        crawling.start()
        try:
            silent.settimeout(
                60
            )  # a child that died before connecting fails the test, not hangs it
            hung, _ = silent.accept()  # Scrapy is up, its outlet run opened, its request unanswered
            with hung:
                jobs.stop()
                crawling.join(timeout=60)
        finally:
            jobs.stop()  # the crawl child ends with the test, whatever failed above
            crawling.join(timeout=60)
    assert outcome == ["interrupted"]
    assert "crawl: no exit 2 s after SIGTERM: killing it" in caplog.text
    assert re.search(r"crawl: interrupted \(exit -9\)", caplog.text), caplog.text
    assert "crawl: 1 outlet run(s) marked failed: killed by SIGKILL" in caplog.text
    with make_sessionmaker(config.store.url)() as session:
        runs = session.scalars(select(CrawlRun)).all()
    assert [(r.status, r.error) for r in runs] == [
        ("failed", "killed by SIGKILL before it finished")
    ]


def test_scheduled_crawl_reports_a_failed_outlet_as_an_error(
    config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "sources.toml").write_text(DEAD_OUTLET, encoding="utf-8")
    caplog.set_level("INFO", logger="ckmon.schedule")
    assert Jobs(config, now).crawl() == "failed"
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any(m.startswith("crawl: deadsite: FAILED") for m in errors), errors
    assert any(m.startswith("crawl: failed (exit 4)") for m in errors), errors
    infos = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    assert any(m.startswith("crawl: scrapy.core.engine: Spider closed") for m in infos), infos
