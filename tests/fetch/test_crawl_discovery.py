"""Discovery as plain data: sitemaps, news sitemaps, Google News links, GDELT answers, the registry."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.errors import ConfigError
from digest.fetch.aggregator_feeds import gnews_publisher_url, is_aggregator_page, parse_gdelt
from digest.fetch.localsite import render_dates
from digest.fetch.sitemap_xml import language_matches, parse_sitemap
from digest.fetch.sources import load_sources
from tests.support.crawlsite import SITES, SITES_NOW, gnews_link


def _served(path: str) -> bytes:
    """A file of tests/sites with its dates as the server renders them, started at SITES_NOW."""
    return render_dates((SITES / path).read_bytes(), SITES_NOW)


def test_news_sitemap_fields() -> None:
    entries = parse_sitemap(_served("herald/news-sitemap.xml"))
    first = entries[0]
    assert first.loc == "{BASE}/herald/workers-euckr.html"
    assert first.title == "캄보디아 근로자 고용허가제 쿼터 확대"
    assert first.language == "ko"
    assert first.published == datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
    assert [e.language for e in entries] == ["ko", "ko", "en", "ko"]
    assert not any(e.is_index for e in entries)


def test_sitemap_index() -> None:
    entries = parse_sitemap(_served("herald/sitemap-index.xml"))
    assert all(e.is_index for e in entries)
    assert entries[-1].lastmod == datetime(2019, 12, 31, 0, 0, tzinfo=UTC)


def test_not_a_sitemap() -> None:
    with pytest.raises(ValueError, match="not a sitemap"):
        parse_sitemap(b"<html><body>Sorry</body></html>")


def test_sitemap_entities_are_not_expanded() -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://a.example/&e;</loc></url></urlset>"
    )
    for entry in parse_sitemap(evil):
        assert "root:" not in entry.loc


@pytest.mark.shared
def test_real_sitemaps_parse(shared: Path) -> None:
    folder = shared / "fixtures" / "sitemaps" / "trafilatura"
    files = sorted(p for p in folder.rglob("*") if p.is_file() and ".xml" in p.name)
    assert files, folder
    parsed = 0
    for path in files:
        body = path.read_bytes()
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        try:
            entries = parse_sitemap(body)
        except ValueError:
            continue
        parsed += 1
        assert all(e.loc.startswith("http") for e in entries), path
    assert parsed


def test_language_matches() -> None:
    assert language_matches("ko", "ko") and language_matches("ko-kr", "ko")
    assert language_matches("", "km")
    assert not language_matches("en", "ko")


def test_google_news_link_resolves_to_publisher() -> None:
    url = "https://www.koreaherald.com/article/10612345"
    assert gnews_publisher_url(gnews_link(url)) == url
    # A new-style opaque id carries no URL: the crawler follows the link instead.
    opaque = base64.urlsafe_b64encode(b"\x08\x13\x22\x05AU_yq").decode().rstrip("=")
    assert gnews_publisher_url(f"https://news.google.com/rss/articles/{opaque}?oc=5") == ""
    assert gnews_publisher_url("https://example.org/rss/articles/CBMi") == ""
    assert is_aggregator_page("https://news.google.com/articles/x")
    assert not is_aggregator_page(url)


def test_gdelt_answer() -> None:
    found = parse_gdelt(_served("gdelt/api.json"))
    assert [a.language for a in found] == ["English", "Korean", "English"]
    assert found[0].seen == datetime(2026, 11, 23, 6, 15, tzinfo=UTC)
    with pytest.raises(ValueError, match="not GDELT JSON"):
        parse_gdelt(b"Your search contained a keyword that was too short.")


def test_shipped_registry_covers_languages_kinds_and_outlets() -> None:
    sources = load_sources()
    assert len(sources) >= 20
    langs = [s.lang for s in sources.values()]
    assert langs.count("km") >= 3 and langs.count("ko") >= 4
    assert {s.kind for s in sources.values()} == {"feed", "sitemap", "listing", "gnews", "gdelt"}
    required = {"khmertimes", "phnompenhpost", "cambodianess", "kiripost", "cambojanews", "akp_en"}
    required |= {"freshnews_en", "cambodiadaily_en", "yonhap_en", "koreaherald", "koreatimes"}
    required |= {"joongang_daily", "kbsworld_en", "yonhap_ko", "nbcambodia"}
    assert required <= set(sources)
    assert {s.lang for s in sources.values() if s.kind == "gnews"} == {"en", "ko", "km"}
    for source in sources.values():
        assert source.origin and source.discovery_urls, source.name
        assert all(u.startswith("https://") for u in source.discovery_urls), source.name


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('kind = "sitemap"\nfeeds = ["https://x.test/f"]', "'sitemaps' must be a non-empty"),
        (
            'kind = "listing"\nlistings = [{ url = "https://x.test/" }]',
            "exactly 'url' and 'pattern'",
        ),
        (
            'kind = "listing"\nlistings = [{ url = "https://x.test/", pattern = "(" }]',
            "bad pattern",
        ),
        ('kind = "gnews"\nqueries = []', "'queries' must be a non-empty"),
        ('kind = "gdelt"\nqueries = ["x"]\nfeeds = ["https://x.test/f"]', "takes 'queries'"),
        ('kind = "feed"\nfeeds = ["https://x.test/f"]\nendpoint = "gopher://x"', "not an http"),
    ],
)
def test_bad_discovery_entries_fail_at_load(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(f'[bad]\ntitle = "X"\nlang = "en"\nhome = "https://x.test/"\n{entry}\n')
    with pytest.raises(ConfigError, match=message) as err:
        load_sources(path)
    assert "sources.toml [bad]" in str(err.value)


@pytest.mark.shared
def test_real_korea_times_feed(shared: Path) -> None:
    """The recorded Korea Times feed: every item gives an article URL, the `?fl` flag dropped."""
    import feedparser

    from digest.analysis.urls import canonical_url

    body = (shared / "fixtures" / "korea-times" / "real-korean-times.rss").read_bytes()
    entries = feedparser.parse(body).entries
    assert len(entries) == 195
    urls = {canonical_url(e.link) for e in entries}
    assert all(u.startswith("https://koreatimes.co.kr/www/") and u.endswith(".html") for u in urls)
