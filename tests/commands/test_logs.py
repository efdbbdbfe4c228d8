"""What a crawl prints with -v about a site it cannot reach (the default and --quiet cases are in
test_first_run and test_run_modes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import ckmon, write_workspace
from tests.support.crawlsite import DEAD_OUTLET


def test_run_without_quiet_logs_unreachable_sites_without_tracebacks(tmp_path: Path) -> None:
    config = write_workspace(tmp_path, DEAD_OUTLET)
    config.write_text(config.read_text() + "RETRY_TIMES = 0\n", encoding="utf-8")
    ran = ckmon(config, "crawl", "-v")  # Scrapy's own log on stderr too
    assert "scrapy.downloadermiddlewares.robotstxt: Error downloading" in ran.stderr
    assert "Traceback" not in ran.stderr, ran.stderr
    # no code-execution endpoint opened beside the crawl
    assert "scrapy.extensions.remote_control" not in ran.stderr


def test_a_log_file_that_cannot_be_written_is_one_line_not_a_trace_per_record(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """/dev/full refuses every write with ENOSPC, as a disk that filled up during the run does."""
    import logging

    from digest.logs import LogFile

    handler = LogFile("/dev/full", encoding="utf-8")
    logger = logging.getLogger("ckmon.test.fulldisk")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for n in range(3):
            logger.warning("record %d", n)
    finally:
        logger.removeHandler(handler)
        handler.close()
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "ckmon: the log file /dev/full cannot be written (No space left on device): "
        "logging to it stopped for this run"
    ], err
