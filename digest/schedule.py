"""`ckmon schedule`: ckmon runs by itself with APScheduler 3 cron triggers in the configured zone.

Two jobs with fixed ids: `crawl` (`[schedule] crawl`, every six hours by default) and `digest`
(`[digest] send_day`/`send_time`, Monday 07:00 Asia/Phnom_Penh by default). Both coalesce (a run
that is late by several fire times happens once), allow one instance, and run one after the other
on a single worker thread, so a crawl and a digest never overlap either.

Catch-up is computed from the store on start, not kept in an APScheduler job store. The store
already records when each outlet was last crawled and which edition was last sent, whichever mode
did it (cron `ckmon run`, this scheduler, or a manual command). A persistent job store would be a
second truth, pickled, that goes stale when the user switches between cron and the scheduler or
edits the schedule, and it would put APScheduler's own tables in our database. So on start, a
job whose trigger fired since the store last saw that work done is given "now" as its first run
time: APScheduler runs it at once (crawl first, then the digest), then follows the trigger.
While the scheduler runs, APScheduler's own misfire handling covers a late wake-up (a suspended
machine): the late job runs once if within its grace time. `publish_due` stays the judge of
whether an edition is due, so a doubled run sends nothing twice.

Crawls run as `python -m digest crawl` subprocesses (a Twisted reactor cannot restart in one
process) with a timeout: a crawl still running after `[schedule] crawl_timeout` seconds is sent
SIGTERM (Scrapy's graceful stop), then SIGKILL, and reported; the outlet runs a killed child left
open are marked failed, so `ckmon sources` and the digest show them. SIGTERM or SIGINT stops the
scheduler after the job in progress: the crawl child gets SIGTERM (SIGKILL `KILL_GRACE` later) and
stores nothing half (each article is one transaction), a digest being written is finished, queued
jobs are dropped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from digest.config import WEEKDAYS, Config
from digest.fetch.crawl import close_unfinished
from digest.store.engine import make_sessionmaker, sqlite_file_missing
from digest.store.models import CrawlRun, Edition

log = logging.getLogger("ckmon.schedule")

CRAWL_JOB = "crawl"
DIGEST_JOB = "digest"
# A crawl late by up to this much (a suspended laptop) still runs; later, the next one will do.
CRAWL_GRACE = timedelta(hours=6)
# At least a day, as the digest must not be lost to a late wake-up; past six days it would run
# beside the next week's edition, which picks up the same articles anyway.
DIGEST_GRACE = timedelta(days=6)
KILL_GRACE = 60.0  # seconds between SIGTERM and SIGKILL for a crawl that overran
_LOG_LINE = re.compile(r"^\S+ \S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
_CLI_ERROR = re.compile(r"^(\S+: FAILED|crawl: |ckmon: error)")
_RUN_OPENED = re.compile(r"crawl run (\d+) opened for ")  # logged by spiders.extensions


def crawl_trigger(config: Config) -> CronTrigger:
    return CronTrigger.from_crontab(config.schedule.crawl, timezone=config.digest.timezone)


def digest_trigger(config: Config) -> CronTrigger:
    hour, minute = (int(p) for p in config.digest.send_time.split(":"))
    return CronTrigger(
        day_of_week=config.digest.send_day,
        hour=hour,
        minute=minute,
        timezone=config.digest.timezone,
    )


def fire_times(trigger: CronTrigger, now: datetime, count: int) -> list[datetime]:
    """The next `count` fire times at or after `now`."""
    times: list[datetime] = []
    fire = trigger.get_next_fire_time(None, now)
    while fire is not None and len(times) < count:
        times.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    return times


def last_fire_since(trigger: CronTrigger, since: datetime, now: datetime) -> datetime | None:
    """The latest fire time in (since, now], or None if the trigger has not fired since `since`."""
    since = max(since, now - timedelta(days=400))  # a machine off for years needs one run, not all
    latest = None
    fire = trigger.get_next_fire_time(None, since + timedelta(microseconds=1))
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire)
    return latest


@dataclass
class CatchUp:
    """What the store says was missed while nothing ran: a fire time per job, or None."""

    now: datetime
    last_crawl: datetime | None
    last_sent: datetime | None
    crawl: datetime | None
    digest: datetime | None


def catch_up(config: Config, now: datetime, *, create_store: bool = True) -> CatchUp:
    """Which jobs' triggers fired since the store last saw that work done (a fresh store: both).

    `create_store=False` (a dry run) leaves a missing SQLite file missing: nothing is stored yet."""
    if not create_store and sqlite_file_missing(config.store.url):
        return CatchUp(now, None, None, now, now)
    with make_sessionmaker(config.store.url)() as session:
        last_crawl = session.scalar(select(func.max(CrawlRun.started_at)))
        last_sent = session.scalar(select(func.max(Edition.until)).where(Edition.status == "sent"))
    crawl = now if last_crawl is None else last_fire_since(crawl_trigger(config), last_crawl, now)
    digest = now if last_sent is None else last_fire_since(digest_trigger(config), last_sent, now)
    return CatchUp(now, last_crawl, last_sent, crawl, digest)


class Jobs:
    """What the scheduled jobs do, one at a time; `stop()` makes them finish or skip cleanly."""

    def __init__(
        self,
        config: Config,
        clock: Callable[[], datetime],
        *,
        lock_fd: int | None = None,
        kill_grace: float = KILL_GRACE,
    ) -> None:
        self.config = config
        self.clock = clock
        self.lock_fd = lock_fd
        self.kill_grace = kill_grace
        self.stopping = threading.Event()
        self._child: subprocess.Popen[str] | None = None
        self._ender: threading.Thread | None = None  # `_end` of the child, started by `stop`

    def crawl(self) -> str:
        """Crawl every enabled outlet in a child process; returns ok, partial, failed or timeout."""
        if self.stopping.is_set():
            return "skipped"
        env = {**os.environ}
        if self.config.source_path is not None:
            env["CKMON_CONFIG"] = str(self.config.source_path)
        started = time.monotonic()
        outcome = ""
        with subprocess.Popen(
            [sys.executable, "-m", "digest", "crawl", "--relayed"],
            cwd=self.config.base_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # signals reach it once, from stop(), not twice from a tty
            # The child keeps the lock held if this process dies first: cron cannot start over it.
            pass_fds=(self.lock_fd,) if self.lock_fd is not None else (),
        ) as child:
            self._child = child
            run_ids: list[int] = []
            relays = [
                threading.Thread(target=_relay, args=(stream, run_ids), daemon=True)
                for stream in (child.stdout, child.stderr)
            ]
            for relay in relays:
                relay.start()
            try:
                code = child.wait(timeout=self.config.schedule.crawl_timeout)
            except subprocess.TimeoutExpired:
                log.error(
                    "crawl: still running after %d s (crawl_timeout): stopping it",
                    self.config.schedule.crawl_timeout,
                )
                code = self._end(child)
                outcome = "timeout"
            finally:
                for relay in relays:
                    relay.join(timeout=5)
                self._child = None
                self._ender = None
        if code < 0:  # killed: the outlets it was crawling could not record how their runs ended
            why = (
                f"killed: still running after {self.config.schedule.crawl_timeout} s (crawl_timeout)"
                if outcome == "timeout"
                else f"killed by {signal.Signals(-code).name} before it finished"
            )
            if closed := close_unfinished(self.config.store.url, run_ids, why):
                log.error("crawl: %d outlet run(s) marked failed: %s", closed, why)
        outcome = outcome or {0: "ok", 3: "partial", 4: "failed"}.get(code, f"exit {code}")
        if self.stopping.is_set() and outcome != "ok":
            outcome = "interrupted"
        level = logging.INFO if outcome == "ok" else logging.ERROR
        log.log(level, "crawl: %s (exit %s) in %.0f s", outcome, code, time.monotonic() - started)
        return outcome

    def _end(self, child: subprocess.Popen[str]) -> int:
        child.send_signal(signal.SIGTERM)  # Scrapy stops gracefully: stored articles are whole
        try:
            return child.wait(timeout=self.kill_grace)
        except subprocess.TimeoutExpired:
            log.error("crawl: no exit %.0f s after SIGTERM: killing it", self.kill_grace)
            child.kill()
            return child.wait()

    def digest(self) -> Any:
        """Write and deliver the edition that is due, if one is (`publish_due` judges)."""
        from digest.deliver.publish import Publishing
        from digest.deliver.publish_locked import publish_due_locked

        if self.stopping.is_set():
            return None
        with make_sessionmaker(self.config.store.url)() as session:
            published = publish_due_locked(
                session, Publishing.from_config(self.config), self.clock()
            )
        if published is None:
            log.info("digest: no edition due")
        else:
            log.info("digest: edition %s sent, %d stories", published.key, published.stories)
        return published

    def stop(self) -> None:
        """Finish or abandon the job in progress cleanly; jobs still queued are skipped.

        A crawl child gets SIGTERM (Scrapy's graceful stop) and SIGKILL `kill_grace` seconds
        later if it is still running, so a hung download cannot hold the stop until crawl_timeout.
        """
        self.stopping.set()
        child = self._child
        if child is not None and child.poll() is None and self._ender is None:
            self._ender = threading.Thread(target=self._end, args=(child,), daemon=True)
            self._ender.start()


def _relay(stream: IO[str] | None, run_ids: list[int]) -> None:
    """Pass a crawl child's output into this process's log, at the level each line was logged.

    Log records keep their level, their continuation lines (tracebacks, stats) follow it, and the
    child's own error lines (a failed outlet, a failed crawl's summary) are errors. The ids of the
    crawl runs the child opens are collected into `run_ids`.
    """
    if stream is None:
        return
    level = logging.INFO
    for line in stream:
        line = line.rstrip()
        if not line:
            continue
        if record := _LOG_LINE.match(line):
            level = logging.getLevelName(record.group(1))
            line = line[record.end() :]
        elif _CLI_ERROR.match(line):
            level = logging.ERROR
        if opened := _RUN_OPENED.search(line):
            run_ids.append(int(opened.group(1)))
        log.log(level, "crawl: %s", line)


def build_scheduler(
    config: Config,
    jobs: Jobs,
    plan: CatchUp,
    scheduler_class: type[BaseScheduler] = BlockingScheduler,
    executor: ThreadPoolExecutor | None = None,
) -> BaseScheduler:
    """The scheduler with its two jobs; a missed job's first run time is its missed fire time."""
    scheduler = scheduler_class(
        timezone=config.digest.timezone,
        executors={"default": executor or ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    # Missed work runs at once, the crawl first: the digest then holds what the crawl found.
    crawl_first = plan.now - timedelta(microseconds=1) if plan.crawl else None
    digest_first = plan.now if plan.digest else None
    for job_id, job, trigger, grace, missed in (
        (CRAWL_JOB, jobs.crawl, crawl_trigger(config), CRAWL_GRACE, crawl_first),
        (DIGEST_JOB, jobs.digest, digest_trigger(config), DIGEST_GRACE, digest_first),
    ):
        options: dict[str, Any] = {"next_run_time": missed} if missed else {}
        scheduler.add_job(
            job,
            trigger,
            id=job_id,
            name=job_id,
            misfire_grace_time=int(grace.total_seconds()),
            replace_existing=True,
            **options,
        )
    return scheduler


def describe(config: Config, plan: CatchUp, count: int = 3) -> list[str]:
    """What `ckmon schedule --dry-run` prints: the next fire times and what runs at once."""
    tz = config.digest.timezone

    def show(when: datetime | None) -> str:
        return when.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z") if when else "never"

    hour_minute = config.digest.send_time
    day = WEEKDAYS[config.digest.send_day]
    lines = [f"schedule: time zone {tz.key}, lock {config.schedule.lock_file}"]
    for job_id, label, trigger in (
        (CRAWL_JOB, f'"{config.schedule.crawl}"', crawl_trigger(config)),
        (DIGEST_JOB, f"{day} {hour_minute}", digest_trigger(config)),
    ):
        nexts = ", ".join(show(t) for t in fire_times(trigger, plan.now, count))
        lines.append(f"{job_id:<6} {label}: next {nexts}")
    for label, missed, last, done in (
        ("crawl ", plan.crawl, plan.last_crawl, "last crawl"),
        ("digest", plan.digest, plan.last_sent, "last edition sent"),
    ):
        if last is None:
            state = "runs at once (nothing in the store yet)"
        elif missed is not None:
            state = f"runs at once (missed {show(missed)}; {done} {show(last)})"
        else:
            state = f"nothing missed ({done} {show(last)})"
        lines.append(f"{label} on start: {state}")
    return lines


def run_scheduler(config: Config, clock: Callable[[], datetime], lock_fd: int | None) -> None:
    """Run until SIGTERM or SIGINT; the job in progress finishes (or its crawl stops) first."""
    jobs = Jobs(config, clock, lock_fd=lock_fd)
    plan = catch_up(config, clock())
    executor = ThreadPoolExecutor(max_workers=1)
    scheduler = build_scheduler(config, jobs, plan, executor=executor)
    for line in describe(config, plan):
        log.info("%s", line)

    def on_signal(signum: int, _frame: Any) -> None:
        jobs.stop()
        with contextlib.suppress(SchedulerNotRunningError):
            scheduler.shutdown(wait=False)  # the main loop ends; the job in progress runs on

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        if not jobs.stopping.is_set():
            scheduler.start()
        # The job in progress finishes (a crawl child was sent SIGTERM); queued ones are skipped.
        executor.shutdown(wait=True)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    log.info("schedule: stopped")
