"""`ckmon check --live` over the loopback sample outlets: what works, what does not, and why."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from digest.cli import cli
from digest.fetch.check import Fetcher, check_sources
from digest.fetch.sources import load_sources
from tests.support.cli import ckmon, write_workspace
from tests.support.crawlsite import UNREACHABLE, registry, serve_sites, workspace

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


# A sample feed written for these tests; the tarpit sends it one byte at a time.
DRIP_FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Drip</title>
<item><title>Seoul and Phnom Penh open a new flight route</title><link>{BASE}/story.html</link>
<pubDate>Tue, 24 Nov 2026 01:00:00 GMT</pubDate></item></channel></rss>"""


def _drip_workspace(tmp: Path, base: str, names: list[str]) -> Path:
    """A registry of one feed outlet per name, each feed at `{base}/<name>.xml`."""
    registry = "".join(
        f'[{name}]\ntitle = "{name}"\nlang = "en"\nhome = "{base}/"\nkind = "feed"\n'
        f'feeds = ["{base}/{name}.xml"]\n\n'
        for name in names
    )
    return write_workspace(tmp, registry)


def _drip_site(tmp: Path, names: list[str]) -> Path:
    site = tmp / "site"
    site.mkdir()
    for name in names:
        (site / f"{name}.xml").write_text(DRIP_FEED, encoding="utf-8")
    return site


def test_check_live_gives_up_a_feed_that_drips_at_its_timeout(tmp_path: Path) -> None:
    # One byte every 0.1 s: every read gets data well within any read timeout, and the whole
    # feed would take half a minute. Only a deadline on the whole fetch ends it at 2 s.
    timeout, margin = 2.0, 3.0
    site = _drip_site(tmp_path, ["dripping"])
    with serve_sites(site, trickle={"dripping.xml": 0.1}) as (base, log):
        config = _drip_workspace(tmp_path, base, ["dripping"])
        result = ckmon(config, "check", "--live", "--delay", "0", "--timeout", "2", timeout=60)
    assert result.returncode == 4, result.stdout + result.stderr  # its only URL failed
    assert "Traceback" not in result.stdout + result.stderr
    [line] = [x for x in result.stdout.splitlines() if " dripping " in x]
    assert line.startswith("FAIL") and "too slow: no complete answer within 2 s (--timeout)" in line
    [drip] = log.dripped("/dripping.xml")
    assert drip.hung_up is not None and len(drip.sent) >= 5  # still dripping when cut
    assert drip.hung_up - drip.started <= timeout + margin


def test_check_live_as_a_whole_ends_at_max_time(tmp_path: Path) -> None:
    # Three dripping feeds, 2 s each at most, 3 s for the whole check: the first is cut at 2 s,
    # the second when the 3 s are up, the third is not fetched at all.
    names = ["first", "second", "third"]
    site = _drip_site(tmp_path, names)
    with serve_sites(site, trickle={f"{n}.xml": 0.1 for n in names}) as (base, log):
        config = _drip_workspace(tmp_path, base, names)
        result = ckmon(
            config, "check", "--live", "--delay", "0", "--timeout", "2", "--max-time", "3",
            timeout=60,
        )  # fmt: skip
    assert result.returncode == 4, result.stdout + result.stderr
    lines = {x.split()[1]: x for x in result.stdout.splitlines() if x.startswith("FAIL")}
    assert "within 2 s (--timeout)" in lines["first"]
    assert "(the time left of --max-time)" in lines["second"]
    assert "not checked: the check's 3 s (--max-time) ran out" in lines["third"]
    assert "check: 3 URLs, 3 failed" in result.stderr
    drips = log.drips
    assert [d.path for d in drips] == ["/first.xml", "/second.xml"]  # the third never asked
    assert all(d.hung_up is not None for d in drips)
    assert drips[-1].hung_up - drips[0].started <= 3 + 3.0  # max-time plus a margin
