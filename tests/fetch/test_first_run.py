"""A calm first run: one line per outlet and a summary on the terminal, Scrapy's log in the log
file, a name that does not resolve failing its outlet at once, and plain words about the outbox."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from digest.fetch.failures import SHORT, short_cause
from tests.support.childenv import child_env
from tests.support.cli import ckmon, write_workspace

# Names under .invalid never resolve (RFC 6761), with or without a network.
DEAD_HOSTS = ("ckmon-one.invalid", "ckmon-two.invalid", "ckmon-search.invalid")


def _dead_registry() -> str:
    """Three outlets that cannot be reached; the search one asks its host five times."""
    one, two, search = (f"http://{host}" for host in DEAD_HOSTS)
    feeds = ", ".join(f'"{search}/rss?q={n}"' for n in range(5))
    return (
        f'[one]\ntitle = "One"\nlang = "en"\nhome = "{one}/"\nkind = "feed"\n'
        f'feeds = ["{one}/feed.xml"]\n\n'
        f'[two]\ntitle = "Two"\nlang = "ko"\nhome = "{two}/"\nkind = "feed"\n'
        f'feeds = ["{two}/feed.xml", "{two}/other.xml"]\n\n'
        f'[search]\ntitle = "Search"\nlang = "en"\nhome = "{search}/"\nkind = "feed"\n'
        f"feeds = [{feeds}]\n"
    )


@pytest.mark.parametrize(
    ("error", "short"),
    [
        (
            "https://www.yna.co.kr/rss/news.xml: DNS lookup failed: no results for hostname "
            "lookup: www.yna.co.kr.",
            "name did not resolve (www.yna.co.kr)",
        ),
        ("DNS lookup failed for deaddaily.test", "name did not resolve (deaddaily.test)"),
        (
            "https://a.test/rss: Connection was refused by other side: 111: Connection refused.",
            "connection refused (a.test)",
        ),
        (
            "https://k.test/f: User timeout caused connection failure: Getting https://k.test/f "
            "took longer than 30.0 seconds..",
            "timed out (k.test)",
        ),
        ("https://x.test/feed: HTTP 403", "HTTP 403: refused, perhaps a bot wall (x.test)"),
        ("shutdown", "stopped by SIGTERM or SIGINT"),
        ("", "see the log"),
    ],
)
def test_an_error_in_a_few_words(error: str, short: str) -> None:
    assert short_cause(error) == short


def test_an_unknown_error_is_clipped_not_lost() -> None:
    error = "something new: " + "z" * 500
    short = short_cause(error)
    assert short.startswith("something new: zzz") and short.endswith("…")
    assert len(short) <= SHORT + 1  # the ellipsis after the clipped text


def test_an_offline_run_is_a_few_lines_and_fails_each_name_once(tmp_path: Path) -> None:
    config = write_workspace(tmp_path, _dead_registry())
    ran = ckmon(config, "run")
    assert ran.returncode == 4, ran.stderr
    out, err = ran.stdout.splitlines(), ran.stderr.splitlines()
    assert "Traceback" not in ran.stderr
    failed = sorted(line for line in err if ": FAILED: " in line)
    assert failed == [
        "one: FAILED: name did not resolve (ckmon-one.invalid)",
        "search: FAILED: name did not resolve (ckmon-search.invalid)",
        "two: FAILED: name did not resolve (ckmon-two.invalid)",
    ], err
    # ckmon's own lines only: the outlets, the crawl summary and the run's summary
    assert len(err) == 5, err
    assert err[-1].startswith("run: failed; 3 outlets, 3 failed, 0 new articles, 0 relevant;")
    assert "no outlet could be reached: is this machine offline?" in err[-2]
    assert any("written to" in line for line in out), out
    assert not any(" sent" in line for line in out + err[-1:]), out
    # Scrapy's own log went to the log file, whole
    log = (tmp_path / "data" / "ckmon.log").read_text(encoding="utf-8")
    assert "Scrapy" in log and "Overridden settings" in log
    assert not any("Scrapy" in line for line in err)
    # a name that did not resolve is neither retried nor looked up again for its other requests
    assert "Retrying" not in log and "Gave up retrying" not in log
    # (the resolver logs each name's first failure; a second lookup would log it again)
    for host in DEAD_HOSTS:
        assert log.count(f"{host} did not resolve: its other requests") == 1, host
    assert log.count("discovery URL failed: http://ckmon-search.invalid/rss?q=") == 5


def test_verbose_prints_the_log_too(tmp_path: Path) -> None:
    config = write_workspace(tmp_path, _dead_registry())
    ran = ckmon(config, "crawl", "one", "-v")
    assert ran.returncode == 4
    assert "Overridden settings" in ran.stderr  # Scrapy's own log, on stderr as asked
    assert "one: FAILED: name did not resolve (ckmon-one.invalid)" in ran.stderr


def test_quiet_crawl_prints_only_what_failed(tmp_path: Path) -> None:
    config = write_workspace(tmp_path, _dead_registry())
    ran = ckmon(config, "crawl", "one", "--quiet")
    assert ran.returncode == 4
    assert ran.stdout == ""
    assert ran.stderr.splitlines()[0] == "one: FAILED: name did not resolve (ckmon-one.invalid)"


def test_a_terminal_sees_a_counter(tmp_path: Path) -> None:
    """On a terminal each outlet's line carries "[done/total]"; cron and pipes get plain lines."""
    config = write_workspace(tmp_path, _dead_registry())
    leader, follower = pty.openpty()
    try:
        child = subprocess.run(
            [sys.executable, "-m", "digest", "crawl", "one", "two"],
            cwd=tmp_path,
            env=child_env(CKMON_CONFIG=str(config)),
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=follower,
            timeout=120,
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: all is read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    shown = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    assert child.returncode == 4, shown
    counted = sorted(line for line in shown.splitlines() if line.startswith("["))
    assert [line[:6] for line in counted] == ["[1/2] ", "[2/2] "], shown
    assert {line.split("] ", 1)[1].split(":")[0] for line in counted} == {"one", "two"}
