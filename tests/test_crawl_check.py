"""`ckmon check --live` over the loopback sample outlets: what works, what does not, and why."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from digest.cli import cli
from digest.fetch.check import Fetcher, check_sources
from digest.fetch.sources import load_sources
from tests.crawlsite import UNREACHABLE, registry, serve_sites, workspace

BROKEN = """
[brokenfeed]
title = "Broken"
lang = "en"
home = "{base}/"
kind = "feed"
feeds = ["{base}/nothing-here.xml", "http://169.254.169.254/latest/meta-data/"]
sitemaps = ["{base}/gazette/feed.rss"]
"""


def test_check_live_reports_each_discovery_url(tmp_path: Path) -> None:
    with serve_sites() as (base, log):
        config = workspace(tmp_path, base, "check")
        sources = config.parent / "sources.toml"
        sources.write_text(registry(base) + BROKEN.format(base=base), encoding="utf-8")
        result = CliRunner().invoke(
            cli, ["--config", str(config), "check", "--live", "--delay", "0"]
        )
    lines = result.output.splitlines()
    assert result.exit_code == 3, result.output  # some URLs fail, not all

    def line(outlet: str, method: str) -> str:
        found = [x for x in lines if x.split()[1:3] == [outlet, method]]
        assert found, (outlet, method, result.output)
        return found[0]

    assert line("gazette", "feed").startswith("ok ") and "8 entries" in line("gazette", "feed")
    assert "3 child sitemaps" in line("herald", "sitemap")
    assert "2 article links of 4" in line("khmerdaily", "listing")
    assert "2 entries" in line("gnews_test", "gnews")
    assert "HTTP 429" in line("gdelt_test", "gdelt")  # the sample server's first answer
    broken = [x for x in lines if " brokenfeed " in x]
    assert broken[0].startswith("FAIL") and "HTTP 404" in broken[0]
    assert (
        broken[1].startswith("FAIL") and "refused" in broken[1] and "169.254.169.254" in broken[1]
    )
    assert broken[2].startswith("FAIL") and "not a sitemap" in broken[2]
    assert "check: 8 URLs, 4 failed" in result.output
    assert "/robots.txt" in log.paths()
    assert not any(p.startswith("/latest/") for p in log.paths())


def test_check_without_live_only_validates(tmp_path: Path) -> None:
    config = workspace(tmp_path, UNREACHABLE, "offline")
    result = CliRunner().invoke(cli, ["--config", str(config), "check"])
    assert result.exit_code == 0, result.output
    assert "registry: 5 outlets, 5 discovery URLs, valid" in result.output


def test_check_spaces_requests_to_a_host_by_the_outlet_delay(tmp_path: Path) -> None:
    # GDELT asks for 5 s between requests: `check --live` keeps to an outlet's `delay` as the
    # crawl does, on top of its own --delay, for each host (here all outlets share one). The
    # clock stands still, so each wait is the whole spacing, and the waits are recorded.
    with serve_sites() as (base, _):
        config = workspace(tmp_path, base, "check")
        sources = config.parent / "sources.toml"
        text = sources.read_text(encoding="utf-8")
        sources.write_text(text + "delay = 0.5\n", encoding="utf-8")  # the last table: gdelt_test
        registry = load_sources(sources)
        port = base.rsplit(":", 1)[1]
        fetcher = Fetcher("ckmon-test", allowed_hosts=(f"127.0.0.1:{port}",))
        slept: list[float] = []
        results = list(
            check_sources(
                [registry["gdelt_test"], registry["gazette"]],
                fetcher,
                delay=0.1,
                sleep=slept.append,
                clock=lambda: 0.0,
            )
        )
    assert [r.outlet for r in results] == ["gdelt_test", "gazette"]
    assert results[1].ok and "8 entries" in results[1].detail
    # the gazette feed waited for the GDELT outlet's half second on the shared host, not 0.1 s
    assert slept == [0.5]
