"""Parsing never fetches: a page or feed that names an address (as its whole body, its title, its
JSON-LD, its date fields) makes no connection, and a feed whose body is a file name opens no file.

Libraries do their own I/O when handed a string they take for an address: htmldate downloads
any text starting with "http", feedparser fetches a URL and opens a file name. In-process tests run
under a guard that records and refuses every connection; the `ckmon extract` test runs the real
command in a child process against a loopback server that records any hit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.analysis.extract import extract_article
from digest.fetch.check import describe
from digest.fetch.feed_xml import read_feed
from digest.fetch.sitemap_xml import parse_sitemap
from tests.support.badsite import serve_ports
from tests.support.cli import ckmon
from tests.support.nonet import refused_connections

BADINPUT = Path(__file__).parents[1] / "badinput"
PAGE_URL = "https://news.test/2026/story.html"


def _pages(target: str) -> dict[str, str]:
    """Pages whose every field that a parser might take for an address is `target`."""
    jsonld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": target,
            "datePublished": target,
            "dateModified": target,
            "url": target,
            "image": target,
            "mainEntityOfPage": {"@id": target},
            "author": {"@type": "Person", "name": target, "url": target},
            "articleBody": target,
        }
    )
    return {
        "body is the address": target,
        "body is the address, newline after": target + "\n",
        "title": f"<html><head><title>{target}</title></head><body><p>{target}</p></body></html>",
        "json-ld": (
            f'<html><head><script type="application/ld+json">{jsonld}</script></head>'
            f"<body><article><p>{target}</p></article></body></html>"
        ),
        "meta and time": (
            f'<html><head><meta property="article:published_time" content="{target}">'
            f'<meta name="date" content="{target}"><link rel="canonical" href="{target}">'
            f'<meta property="og:image" content="{target}"></head><body><article>'
            f'<time datetime="{target}">{target}</time><div class="date">{target}</div>'
            f"<p>{target}</p></article></body></html>"
        ),
    }


def _feed(target: str) -> bytes:
    """A feed naming `target` everywhere: fields, an external DTD and an external entity."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<!DOCTYPE rss SYSTEM "{target}.dtd" [<!ENTITY ext SYSTEM "{target}.ent">]>'
        '<rss version="2.0"><channel>'
        f"<title>{target}&ext;</title><link>{target}</link><description>{target}</description>"
        f"<item><title>{target}</title><link>{target}</link><guid>{target}</guid>"
        f"<pubDate>{target}</pubDate><description>{target}</description>"
        f'<enclosure url="{target}" type="image/png"/></item></channel></rss>'
    ).encode()


@pytest.fixture(scope="module")
def server() -> tuple[str, list[str]]:
    """A loopback server that records every path asked of it."""
    with serve_ports(BADINPUT, 1) as (bases, hits):
        port = int(bases[0].rsplit(":", 1)[1])
        yield bases[0], hits, port


@pytest.mark.parametrize("kind", list(_pages("http://x")))
@pytest.mark.parametrize("as_bytes", [False, True], ids=["text", "bytes"])
def test_extraction_opens_no_connection(server: tuple, kind: str, as_bytes: bool) -> None:
    base, hits, port = server
    page = _pages(f"{base}/gen/{kind.replace(' ', '-')}.html")[kind]
    with refused_connections() as attempts:
        article = extract_article(page.encode() if as_bytes else page, PAGE_URL)
    assert attempts == []
    assert hits.paths(port) == []
    assert article.url == PAGE_URL


def test_an_unreachable_address_as_the_page_costs_nothing() -> None:
    """Port 9 on loopback refuses at once: before, htmldate raised and the article was lost."""
    with refused_connections() as attempts:
        article = extract_article(b"http://127.0.0.1:9/", PAGE_URL)
    assert attempts == []
    assert article.url == PAGE_URL


def test_feed_fields_that_are_addresses_open_no_connection(server: tuple) -> None:
    base, hits, port = server
    with refused_connections() as attempts:
        feed = read_feed(_feed(f"{base}/gen/feed-field.html"), f"{base}/feed.xml")
        ok, detail = describe("feed", f"{base}/feed.xml", _feed(f"{base}/gen/x.html"), "")
    assert attempts == []
    assert hits.paths(port) == []
    assert len(feed.entries) == 1 and ok, detail


def test_a_sitemap_naming_a_dtd_and_entities_fetches_nothing(server: tuple) -> None:
    base, hits, port = server
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<!DOCTYPE urlset SYSTEM "{base}/gen/sitemap.dtd" [<!ENTITY ext SYSTEM "{base}/gen/e">]>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{base}/gen/1.html&ext;</loc><lastmod>{base}/gen/2.html</lastmod></url>"
        "</urlset>"
    ).encode()
    with refused_connections() as attempts:
        entries = parse_sitemap(body)
    assert attempts == []
    assert hits.paths(port) == []
    assert [e.loc for e in entries] == [f"{base}/gen/1.html"]


@pytest.mark.parametrize("as_url", [False, True], ids=["path", "file-url"])
def test_a_feed_whose_body_names_a_file_opens_no_file(tmp_path: Path, as_url: bool) -> None:
    """feedparser opens a file named by a string or bytes it is given: a feed whose body is
    "/dev/zero" would be read forever, one that names a local file would be read as the feed."""
    local = tmp_path / "local-feed.xml"
    local.write_bytes(_feed("https://elsewhere.test/secret.html"))
    body = (local.as_uri() if as_url else str(local)).encode()
    with refused_connections() as attempts:
        feed = read_feed(body, "https://news.test/feed.xml")
        ok, detail = describe("feed", "https://news.test/feed.xml", body, "")
    assert attempts == []
    assert feed.entries == [] and not ok, detail


def test_ckmon_extract_fetches_nothing_a_page_names(server: tuple, tmp_path: Path) -> None:
    """The real command, in a child process without the guard: the server sees no request."""
    base, hits, port = server
    config = tmp_path / "ckmon.toml"
    config.write_text("", encoding="utf-8")
    for kind, page in _pages(f"{base}/gen/cli.html").items():
        saved = tmp_path / f"{kind.replace(' ', '-')}.html"
        saved.write_text(page, encoding="utf-8")
        ran = ckmon(config, "extract", str(saved), "--url", PAGE_URL, timeout=60)
        assert ran.returncode == 0, (kind, ran.stderr[-2000:])
        assert json.loads(ran.stdout)["url"] == PAGE_URL
        assert "Traceback" not in ran.stderr
    assert hits.paths(port) == []


def test_the_mail_inliner_loads_no_stylesheet(server: tuple) -> None:
    """css-inline fetches a linked stylesheet with its own network code (no Python socket): the
    digest's inliner is made not to, whatever HTML reaches it."""
    from digest.deliver.render import INLINER

    base, hits, port = server
    html = (
        f'<html><head><link rel="stylesheet" href="{base}/gen/style.css"></head>'
        '<body><p class="x">text</p></body></html>'
    )
    assert "text" in INLINER.inline(html)
    assert hits.paths(port) == []
