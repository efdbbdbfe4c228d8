"""Every outlet of the shipped registry, crawled offline from fixtures written after its markup.

`tests/outlets/<outlet>/fixture.toml` maps URLs to files of that folder (a feed, sitemap, listing
or search answer, and article pages) and lists the articles a crawl must store. The test packs the
files into a WARC and runs `ckmon crawl --replay` over the shipped `spiders/sources.toml`: each
outlet's own discovery URLs, link patterns and kind, through the same spiders and pipeline as a
live crawl. A URL the crawl asks for that no fixture answers gets a 404 and counts as an error.
"""

from __future__ import annotations

import tomllib
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from digest.analysis.dates import ICT, KST
from digest.analysis.urls import canonical_url
from digest.fetch import warc
from digest.fetch.sources import KINDS, load_sources
from digest.store.engine import make_sessionmaker
from digest.store.models import ArticleRow, CrawlRun, Outlet
from tests.support.cli import ckmon

OUTLETS = Path(__file__).parents[1] / "outlets"
TYPES = {
    ".xml": "application/xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
}
ZONES = {"kh": ICT, "kr": KST}  # an outlet's dates are checked as its readers see them


def fixtures() -> dict[str, dict[str, Any]]:
    return {
        path.parent.name: tomllib.loads(path.read_text(encoding="utf-8"))
        for path in sorted(OUTLETS.glob("*/fixture.toml"))
    }


def test_every_outlet_has_fixtures_for_all_its_discovery_urls() -> None:
    sources = load_sources()
    found = fixtures()
    assert set(found) == set(sources)
    assert {source.kind for source in sources.values()} == set(KINDS)
    for name, source in sources.items():
        answers = found[name]["answers"]
        missing = set(source.discovery_urls) - set(answers)
        assert not missing, f"{name}: no fixture answers {sorted(missing)}"
        assert found[name]["stored"], name
        for file in answers.values():
            assert (OUTLETS / name / file).is_file(), (name, file)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One replayed crawl of all outlets: (store folder, the command's output)."""
    folder = tmp_path_factory.mktemp("outlets")
    archive = folder / "outlets.warc.gz"
    for name, fixture in fixtures().items():
        for url, file in fixture["answers"].items():
            path = OUTLETS / name / file
            warc.append(
                archive, url, 200, [("Content-Type", TYPES[path.suffix])], path.read_bytes()
            )
    config = folder / "ckmon.toml"
    config.write_text(
        '[scrapy]\nDOWNLOAD_DELAY = 0\nAUTOTHROTTLE_ENABLED = false\nLOG_LEVEL = "INFO"\n',
        encoding="utf-8",
    )
    result = ckmon(
        config, "crawl", "-v", "--since", "2026-11-01", "--replay", str(archive), timeout=300
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    return folder, out


def test_nothing_asked_that_no_fixture_answers(crawled: tuple[Path, str]) -> None:
    """Old items, other languages, links off an outlet's pattern and unresolved aggregator links are
    skipped before any request: a request for anything else would get the replay's 404."""
    _, out = crawled
    failures = ("article dropped", "article fetch failed", "discovery URL failed")
    assert not [line for line in out.splitlines() if any(f in line for f in failures)], out
    assert "Google News link not resolved to a publisher" in out  # the new-style links


@pytest.mark.parametrize("name", sorted(load_sources()))
def test_outlet_stores_its_articles(crawled: tuple[Path, str], name: str) -> None:
    folder, out = crawled
    source = load_sources()[name]
    fixture = fixtures()[name]
    sessions = make_sessionmaker(f"sqlite:///{folder / 'data' / 'ckmon.sqlite'}")
    with sessions() as session:
        outlet = session.scalar(select(Outlet).where(Outlet.name == name))
        assert outlet is not None, f"{name} never ran\n{out}"
        run = session.scalar(select(CrawlRun).where(CrawlRun.outlet_id == outlet.id))
        rows = list(session.scalars(select(ArticleRow).where(ArticleRow.outlet_id == outlet.id)))
    assert run is not None and run.status == "ok", (run and run.error, out)
    assert (run.errors, run.extract_failed, run.refused) == (0, 0, 0), out
    assert len(rows) == len(fixture["stored"]), [row.url for row in rows]
    zone = ZONES.get(source.country, UTC)
    for expected in fixture["stored"]:
        # The address fetched, or another link to the same story (Kiripost's with a slash).
        key = canonical_url(expected["url"])
        found = [row for row in rows if expected["url"] == row.url or key == row.canonical_url]
        assert len(found) == 1, (expected["url"], [row.url for row in rows])
        row = found[0]
        assert row.title == expected["title"]
        assert row.lang == source.lang, row.url
        assert row.published_at is not None, row.url
        assert row.published_at.astimezone(zone).date().isoformat() == expected["published"]
        assert len(row.text) > 150, row.url  # the body, not only a headline
