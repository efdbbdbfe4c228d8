"""Invalid code points (lone surrogates, NUL, controls, non-characters) are replaced where text
enters, so no parser raises on them and no store refuses them: one bad title never costs an article,
a feed or a `ckmon tag` run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from digest.analysis.extract import extract_article
from digest.analysis.ingest import Analyzer, ingest
from digest.analysis.textnorm import INVALID, valid_markup, valid_text
from digest.fetch.feed_xml import read_feed
from digest.store.engine import make_sessionmaker
from digest.store.models import ArticleRow
from tests.support.childenv import ROOT, child_env

# What a page or feed may carry: numeric references a parser turns into invalid code points, and
# (in JSON) escapes that decode to them.
BAD_REFERENCES = [
    "&#xD800;",
    "&#xDFFF;",
    "&#0;",
    "&#x1;",
    "&#xFFFE;",
    "&#x110000;",
    "&#" + "9" * 30 + ";",
]
BODY = (
    "<p>Officials from Cambodia and South Korea met in Phnom Penh on Tuesday to discuss trade, "
    "labour and tourism between the two countries, the Korean embassy said.</p>" * 3
)


def _feed(bad: str) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>https://news.test/{n}.html</link></item>"
        for n, title in enumerate(["First", f"Bad {bad} title", "Last"])
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"{items}</channel></rss>"
    ).encode()


@pytest.mark.parametrize("bad", BAD_REFERENCES)
def test_one_bad_reference_in_one_title_keeps_the_feed(bad: str) -> None:
    feed = read_feed(_feed(bad), "https://news.test/feed.xml")
    assert [e.link for e in feed.entries] == [f"https://news.test/{n}.html" for n in range(3)]
    for entry in feed.entries:
        assert not INVALID.search(entry.title), entry.title
    assert feed.entries[1].title.startswith("Bad ")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-32"])
def test_bad_references_in_a_utf16_or_utf32_feed(codec: str) -> None:
    text = _feed("&#xD800;").decode().replace("utf-8", codec.removesuffix("-le"))
    feed = read_feed(text.encode(codec), "https://news.test/feed.xml")
    assert len(feed.entries) == 3
    assert not INVALID.search(feed.entries[1].title)


def test_raw_controls_in_a_feed_never_reach_a_title() -> None:
    feed = read_feed(_feed("a\x00b\x01c\x1bd\uffff"), "https://x.test/f")
    assert len(feed.entries) == 3
    assert not INVALID.search(feed.entries[1].title), feed.entries[1].title


@pytest.mark.parametrize(
    "escape", ["\\ud800", "\\udfff", "\\ud800\\u0041", "\\u0000", "\\u0001", "\\uffff"]
)
def test_a_bad_escape_in_json_ld_is_stored(tmp_path: Path, escape: str) -> None:
    """JSON-LD escapes decode to lone surrogates or NUL: the store insert raised and the article
    was lost (SQLite and PostgreSQL both refuse them)."""
    jsonld = (
        '{"@type": "NewsArticle", "headline": "Cambodia and Korea ' + escape + ' sign a pact", '
        '"description": "' + escape + '", "author": {"name": "Kim ' + escape + '"}, '
        '"datePublished": "2026-11-18T08:00:00+07:00"}'
    )
    page = (
        f'<html><head><script type="application/ld+json">{jsonld}</script></head>'
        f"<body><article><h1>Cambodia and Korea sign a pact</h1>{BODY}</article></body></html>"
    )
    article = extract_article(page, "https://news.test/pact.html")
    for value in (article.title, article.lead, *article.authors):
        assert not INVALID.search(value), value
    assert article.title.startswith("Cambodia and Korea")
    sessions = make_sessionmaker(f"sqlite:///{tmp_path / 'store.sqlite'}")
    with sessions() as session:
        result = ingest(article, session, Analyzer())
        assert result.status == "new"
        assert session.get(ArticleRow, result.article_id).title == article.title


@pytest.mark.parametrize("bad", [*BAD_REFERENCES, "\x00", "\x01", "\ud800", "\ufffe"])
def test_a_bad_title_keeps_the_article(bad: str) -> None:
    page = (
        f"<html><head><title>Cambodia and Korea {bad} pact</title></head>"
        f"<body><article>{BODY}</article></body></html>"
    )
    article = extract_article(page, "https://news.test/pact.html")
    assert article.title.startswith("Cambodia and Korea")
    assert "Officials from Cambodia" in article.text
    for value in (article.title, article.text, article.lead):
        assert not INVALID.search(value), value


def test_valid_text_and_markup() -> None:
    assert valid_text("a\x00b\ud800c\x0bd\tok\n") == "a\ufffdb\ufffdc d\tok\n"
    assert valid_text("fine 캄보디아 ážŸ") == "fine 캄보디아 ážŸ"
    assert valid_markup("x &#xD800; &#55296; &#x41; &#0 &#65;") == (
        "x &#xFFFD; &#xFFFD; &#x41; &#xFFFD; &#65;"
    )


def test_ckmon_tag_takes_bad_escapes(tmp_path: Path) -> None:
    """`ckmon tag` crashed on a record with a lone surrogate; each record now gets its line."""
    records = tmp_path / "in.jsonl"
    records.write_text(
        '{"id": "a\\ud800", "title": "Korea \\ud800 lends Cambodia $200m", "text": "x\\u0000y"}\n'
        '{"id": "b", "title": "Cambodia and Korea sign pact", "text": "Phnom Penh and Seoul"}\n',
        encoding="utf-8",
    )
    config = tmp_path / "ckmon.toml"
    config.write_text("", encoding="utf-8")
    ran = subprocess.run(
        [sys.executable, "-m", "digest", "tag", str(records)],
        cwd=ROOT,
        env=child_env(CKMON_CONFIG=str(config)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [r["id"] for r in lines] == ["a\ufffd", "b"]
