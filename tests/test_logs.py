"""What an unattended run prints: with --quiet only ckmon's own errors and the summary line, the
log file everything, tracebacks of an unreachable site only in the file."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ckmon, write_workspace


def test_quiet_run_prints_the_failed_outlet_and_the_summary_only(tmp_path: Path) -> None:
    # Port 9 on loopback: nothing listens, every request (robots.txt, the feed) is refused.
    config = write_workspace(
        tmp_path,
        '[deadsite]\ntitle = "Dead Site"\nlang = "en"\nhome = "http://127.0.0.1:9/"\n'
        'kind = "feed"\nfeeds = ["http://127.0.0.1:9/feed.xml"]\n',
    )
    config.write_text(
        config.read_text() + 'RETRY_TIMES = 1\n\n[log]\nfile = "logs/ckmon.log"\n',
        encoding="utf-8",
    )
    ran = ckmon(config, "run", "--quiet")
    assert ran.returncode == 4, ran.stderr
    assert ran.stdout == ""
    lines = ran.stderr.strip().splitlines()
    assert "deadsite: FAILED" in ran.stderr
    assert lines[-1].startswith("run: failed; 1 outlets, 1 failed"), ran.stderr
    assert "Traceback" not in ran.stderr
    assert not [line for line in lines if " scrapy." in line], ran.stderr
    assert len(lines) <= 5, ran.stderr
    # The file keeps what stderr left out: Scrapy's retries and the refused robots.txt, traced.
    logged = (tmp_path / "logs" / "ckmon.log").read_text(encoding="utf-8")
    assert "scrapy.downloadermiddlewares.retry: Gave up retrying" in logged
    assert "Traceback" in logged and "ConnectionRefusedError" in logged


def test_run_without_quiet_logs_unreachable_sites_without_tracebacks(tmp_path: Path) -> None:
    config = write_workspace(
        tmp_path,
        '[deadsite]\ntitle = "Dead Site"\nlang = "en"\nhome = "http://127.0.0.1:9/"\n'
        'kind = "feed"\nfeeds = ["http://127.0.0.1:9/feed.xml"]\n',
    )
    config.write_text(config.read_text() + "RETRY_TIMES = 0\n", encoding="utf-8")
    ran = ckmon(config, "crawl")
    assert "scrapy.downloadermiddlewares.robotstxt: Error downloading" in ran.stderr
    assert "Traceback" not in ran.stderr, ran.stderr
    # no code-execution endpoint opened beside the crawl
    assert "scrapy.extensions.remote_control" not in ran.stderr
