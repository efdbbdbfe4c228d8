"""What a crawl prints with -v about a site it cannot reach (the default and --quiet cases are in
test_first_run and test_run_modes)."""

from __future__ import annotations

from pathlib import Path

from tests.cli import ckmon, write_workspace
from tests.crawlsite import DEAD_OUTLET


def test_run_without_quiet_logs_unreachable_sites_without_tracebacks(tmp_path: Path) -> None:
    config = write_workspace(tmp_path, DEAD_OUTLET)
    config.write_text(config.read_text() + "RETRY_TIMES = 0\n", encoding="utf-8")
    ran = ckmon(config, "crawl", "-v")  # Scrapy's own log on stderr too
    assert "scrapy.downloadermiddlewares.robotstxt: Error downloading" in ran.stderr
    assert "Traceback" not in ran.stderr, ran.stderr
    # no code-execution endpoint opened beside the crawl
    assert "scrapy.extensions.remote_control" not in ran.stderr
