"""What the `ckmon` command tells a user: its version, the name a misspelling meant, and outlet
health with the times' zone and failures in a few words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.store.engine import get_outlet, make_sessionmaker
from digest.store.models import CrawlRun
from tests.support.cli import ckmon

# What Twisted says when a name does not resolve, as `ckmon sources` found it stored after an
# offline crawl: about 800 characters in one flag.
DNS_ERROR = "; ".join(
    f"https://www.khmertimeskh.com/{path}: DNS lookup failed: no results for hostname lookup: "
    "www.khmertimeskh.com. [Failure instance: Traceback (failure with no frames): <class "
    "'twisted.internet.error.DNSLookupError'>: DNS lookup failed: no results for hostname lookup]"
    for path in ("feed/", "news-sitemap.xml", "category/national/")
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "ckmon.toml"
    path.write_text('[digest]\ntimezone = "Asia/Phnom_Penh"\n', encoding="utf-8")
    return path


def test_version(config: Path) -> None:
    ran = ckmon(config, "--version")
    assert ran.returncode == 0
    assert ran.stdout == f"ckmon, version {version('ckmon')}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crwal"], "No such command 'crwal'. Did you mean 'crawl'?"),
        (["article"], "Did you mean 'articles'?"),
        (["crawl", "khmertime"], "unknown outlet 'khmertime' (did you mean 'khmertimes'?)"),
        (["check", "yonhap"], "outlet 'yonhap' (did you mean 'yonhap_en' or 'yonhap_ko'?)"),
        (["check", "khmertimes", "zzzz"], "unknown outlet 'zzzz'; the outlets: `ckmon sources`"),
    ],
)
def test_a_misspelt_name_gets_the_name_it_meant(
    config: Path, args: list[str], message: str
) -> None:
    ran = ckmon(config, *args)
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert message in ran.stderr and "Traceback" not in ran.stderr


def test_sources_shows_zoned_times_and_short_causes(config: Path) -> None:
    started = datetime.now(UTC) - timedelta(hours=2)
    url = f"sqlite:///{config.parent / 'data' / 'ckmon.sqlite'}"
    with make_sessionmaker(url)() as session:
        outlet = get_outlet(session, "khmertimes", "Khmer Times", "en")
        session.add(
            CrawlRun(outlet_id=outlet.id, started_at=started, status="failed", error=DNS_ERROR)
        )
        session.commit()
    ran = ckmon(config, "sources")
    assert ran.returncode == 0, ran.stderr
    row = next(line for line in ran.stdout.splitlines() if line.startswith("khmertimes "))
    shown = started.astimezone(ZoneInfo("Asia/Phnom_Penh"))
    assert f"{shown:%Y-%m-%d %H:%M}+07:00 failed" in row
    assert row.endswith("last run failed: name did not resolve (www.khmertimeskh.com)")
    assert len(row) < 200 and DNS_ERROR not in ran.stdout

    whole = ckmon(config, "sources", "--errors")
    assert whole.returncode == 0, whole.stderr
    assert f"khmertimes: {DNS_ERROR}" in whole.stdout
