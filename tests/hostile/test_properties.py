"""Property tests: generated feeds, pages and JSON-LD through the real parsers.

Whatever the input (invalid code points written or referenced, markup characters, addresses in
every field, malformed links and dates, several encodings), no exception escapes, no text leaves a
parser with a code point a store or XML refuses, nothing is fetched while parsing, good items are
kept, and a crawl that skips something counts it. Examples are bounded (the module runs in well
under a minute) and, in CI, derandomized so a run is repeatable.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from digest.analysis.extract import extract_article
from digest.analysis.structured import read_declared
from digest.analysis.textnorm import INVALID
from digest.fetch.feed_xml import read_feed
from digest.fetch.pagetext import looks_binary, page_text
from tests.support.badsite import serve_ports
from tests.support.cli import ckmon, write_workspace
from tests.support.nonet import refused_connections

CI = bool(os.environ.get("CI"))


def bounded(examples: int, *, shrink: bool = True) -> settings:
    """At most `examples` examples; no shrinking where each example is a whole crawl."""
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if shrink else [])
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=CI,
        phases=phases,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# Pieces of hostile text: references to invalid code points, raw ones, markup-looking text,
# addresses a library might fetch, bidi controls, Korean and Khmer.
NASTY = [
    "&#xD800;",
    "&#xdfff;",
    "&#0;",
    "&#x1;",
    "&#xFFFE;",
    "&#x110000;",
    "&#" + "9" * 25 + ";",
    "&#65;",
    "&amp;",
    "&undefined;",
    "\x00",
    "\x01",
    "\x1b",
    "\ud800",
    "\udfff",
    "\ufffe",
    "\uffff",
    "\u202e",
    "\u2028",
    "http://127.0.0.1:9/",
    "https://169.254.169.254/latest/meta-data/",
    "/etc/passwd",
    "캄보디아",
    "ពាន់លាន",
]
# Code points of every kind, surrogates included (Hypothesis leaves them out by default).
ANY_CHAR = st.characters(codec=None, exclude_categories=())
HOSTILE_TEXT = st.lists(
    st.one_of(st.sampled_from(NASTY), st.text(ANY_CHAR, max_size=8)), max_size=6
).map("".join)
BAD_LINKS = {
    "http://127.0.0.1:99999999/x.html": "link_malformed",
    "http://127.0.0.1:abc/x.html": "link_malformed",
    "http://127.0.0.1:0/x.html": "link_malformed",
    "http://a b.test/x.html": "link_malformed",
    "http://a%zz.test/x.html": "link_malformed",
    "javascript:alert(1)": "link_refused_scheme",
    "mailto:desk@example.org": "link_refused_scheme",
    "": "entry_without_link",
}
NOW = datetime.now(UTC)
DATES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "",
            "yesterday",
            "Fri, 99 Foo 99999 99:99:99 GMT",
            "2026-13-45",
            "&#xD800;",
            "9999-12-31T23:59:59-14:00",  # the year 10000 in UTC: raised and lost the feed
            "0001-01-01T00:00:00+14:00",
            "0000-00-00T00:00:00Z",
            "2003-06-10T04:00:00+99:99",
        ]
    ),
    st.integers(0, 600).map(lambda h: format_datetime(NOW - timedelta(hours=h))),
    st.integers(1, 3000).map(lambda d: format_datetime(NOW + timedelta(days=d))),
    HOSTILE_TEXT,
)


def _markup_text(value: str) -> str:
    """Text for an element: markup characters escaped, references and raw code points kept."""
    return re.sub(r"&(?!#)", "&amp;", value).replace("<", "&lt;").replace(">", "&gt;")


def _valid(value: Any) -> bool:
    return not isinstance(value, str) or INVALID.search(value) is None


@st.composite
def feeds(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], list[str]]:
    """(feed markup with `{BASE}` for the server, [(good link path, title)], [bad links])."""
    good_numbers = draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=6, unique=True))
    bad = draw(st.lists(st.sampled_from(sorted(BAD_LINKS)), max_size=4))
    items: list[tuple[str, str, str | None]] = []
    good = []
    for n in good_numbers:
        title = draw(st.one_of(st.text(max_size=30), HOSTILE_TEXT))
        good.append((f"gen/{n}.html", title))
        items.append(("{BASE}/" + f"gen/{n}.html", title, draw(DATES)))
    items += [(link, draw(HOSTILE_TEXT), draw(DATES)) for link in bad]
    order = draw(st.permutations(items))
    atom = draw(st.booleans())
    body = ""
    for link, title, date in order:
        date_markup = ""
        if date is not None:
            date_markup = (
                f"<updated>{_markup_text(date)}</updated>"
                if atom
                else (f"<pubDate>{_markup_text(date)}</pubDate>")
            )
        if atom:
            href = f' href="{escape(link, {chr(34): "&quot;"})}"' if link else ""
            body += f"<entry><title>{_markup_text(title)}</title><link{href}/>{date_markup}</entry>"
        else:
            body += f"<item><title>{_markup_text(title)}</title><link>{escape(link)}</link>{date_markup}</item>"
    if atom:
        feed = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Generated</title>{body}</feed>'
    else:
        feed = f'<rss version="2.0"><channel><title>Generated</title>{body}</channel></rss>'
    return feed, good, bad


ENCODINGS = ["utf-8", "utf-16", "iso-8859-1"]


def _encoded(feed: str, encoding: str) -> bytes:
    declared = f'<?xml version="1.0" encoding="{encoding}"?>' + feed
    # Characters the encoding lacks become references; raw surrogates go through as their bytes.
    return declared.encode(
        encoding, errors="surrogatepass" if encoding == "utf-8" else "xmlcharrefreplace"
    )


@bounded(300)
@given(feeds(), st.sampled_from(ENCODINGS))
def test_feeds_parse_without_error_and_keep_good_items(
    generated: tuple[str, list[tuple[str, str]], list[str]], encoding: str
) -> None:
    feed, good, _ = generated
    base = "https://news.test"
    body = _encoded(feed.replace("{BASE}", base), encoding)
    with refused_connections() as attempts:
        parsed = read_feed(body, f"{base}/feed.xml")
    assert attempts == []
    links = {entry.get("link") for entry in parsed.entries}
    assert {f"{base}/{path}" for path, _ in good} <= links
    for entry in parsed.entries:
        assert all(_valid(entry.get(key)) for key in ("title", "link", "summary", "id"))


def _json_containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Lists and objects of `children`, with the keys JSON-LD readers look at."""
    keys = st.sampled_from(
        [
            "@type",
            "headline",
            "name",
            "author",
            "datePublished",
            "dateModified",
            "url",
            "image",
            "description",
            "articleBody",
            "@graph",
            "mainEntityOfPage",
            "inLanguage",
            "@id",
            "@value",
            "contentUrl",
        ]
    )
    return st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=6))


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), HOSTILE_TEXT),
    _json_containers,
    max_leaves=20,
)


@st.composite
def pages(draw: st.DrawFn) -> tuple[str, str]:
    """(page markup, its headline): hostile text in every field, a real headline and body."""
    headline = "Cambodia and Korea " + draw(
        st.text(st.characters(categories=["L"]), min_size=3, max_size=20)
    )
    node = draw(JSON_VALUES)
    if isinstance(node, dict) and draw(st.booleans()):
        node = {**node, "@type": "NewsArticle"}
    jsonld = json.dumps(node) if draw(st.booleans()) else draw(HOSTILE_TEXT)
    script = jsonld.replace("</", "<\\/")  # as a page writes JSON inside <script>
    noise = [draw(HOSTILE_TEXT) for _ in range(6)]
    attribute = [escape(n, {'"': "&quot;"}) for n in noise]
    page = (
        f"<html><head><title>{_markup_text(noise[0])}</title>"
        f'<meta property="article:published_time" content="{attribute[1]}">'
        f'<meta property="og:title" content="{attribute[2]}">'
        f'<link rel="canonical" href="{attribute[3]}">'
        f'<script type="application/ld+json">{script}</script></head>'
        f"<body><article><h1>{escape(headline)}</h1>"
        f'<time datetime="{attribute[4]}">{_markup_text(noise[4])}</time>'
        f'<div class="date">{_markup_text(noise[5])}</div>'
        + "<p>Officials from Cambodia and South Korea met in Phnom Penh to discuss trade, labour "
        "and tourism between the two countries, the Korean embassy said on Tuesday.</p>"
        * 3
        + "</article></body></html>"
    )
    return page, headline


@bounded(150)
@given(pages(), st.sampled_from(["text", "utf-8", "cp949", "utf-16"]))
def test_pages_extract_without_error_or_fetch(generated: tuple[str, str], form: str) -> None:
    page, headline = generated
    html: str | bytes = page
    if form != "text":
        errors = "surrogatepass" if form == "utf-8" else "xmlcharrefreplace"
        html = page.encode(form, errors=errors)
    with refused_connections() as attempts:
        article = extract_article(html, "https://news.test/2026/story.html")
    assert attempts == []
    fields = [article.title, article.text, article.lead, article.image, article.canonical_url]
    assert all(_valid(value) for value in [*fields, *article.authors])
    assert "Officials from Cambodia" in article.text


@bounded(300)
@given(JSON_VALUES)
@example({"@type": 1})  # raised in extraction (a type that is not a name); found by this test
@example({"@type": ["NewsArticle", None], "headline": ["\ud800"], "author": [{"name": 7}]})
def test_any_json_ld_gives_valid_declared_text(node: Any) -> None:
    from trafilatura.utils import load_html

    script = json.dumps(node).replace("</", "<\\/")
    tree = load_html(
        f'<html><head><script type="application/ld+json">{script}</script></head>'
        "<body><p>text</p></body></html>"
    )
    declared = read_declared(tree)
    values = [declared.title, declared.description, declared.body, declared.published]
    values += [declared.updated, declared.image, declared.url, declared.lang, *declared.authors]
    assert all(isinstance(v, str) and _valid(v) for v in values)


def _stats(output: str) -> dict[str, int]:
    block = re.findall(r"Dumping Scrapy stats:\n(\{.*?\})\n", output, re.S)[-1]
    return {k: int(v) for k, v in re.findall(r"'([^']+)': (\d+)[,}]", block)}


@bounded(3, shrink=False)
@given(feeds(), st.sampled_from(ENCODINGS))
def test_a_generated_feed_crawled_end_to_end(
    generated: tuple[str, list[tuple[str, str]], list[str]], encoding: str
) -> None:
    """The real `ckmon crawl` on a generated feed: every good item stored, every bad one counted
    in the crawl's stats, no trace, and the exit code says whether anything was lost."""
    feed, good, bad = generated
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        served = {"feed.xml": b""}  # written once the server's address is known
        with serve_ports(tmp, 1, served) as (bases, _):
            base = bases[0]
            served["feed.xml"] = _encoded(feed.replace("{BASE}", base), encoding)
            config = write_workspace(
                tmp,
                f'[generated]\ntitle = "Generated"\nlang = "en"\nhome = "{base}/"\n'
                f'kind = "feed"\nfeeds = ["{base}/feed.xml"]\nbilateral = true\n',
            )
            ran = ckmon(config, "crawl", "-v", "--since", "2020-01-01", timeout=120)
        output = ran.stdout + ran.stderr
        with sqlite3.connect(tmp / "data" / "ckmon.sqlite") as db:
            stored = {url for (url,) in db.execute("SELECT url FROM articles")}
    assert "Traceback" not in output, output[-3000:]
    assert ran.returncode == 0, output[-3000:]  # nothing lost: every bad item is a counted skip
    assert {f"{base}/{path}" for path, _ in good} == stored
    stats = _stats(output)
    expected: dict[str, int] = {}
    for link in bad:
        expected[BAD_LINKS[link]] = expected.get(BAD_LINKS[link], 0) + 1
    for counter, count in expected.items():
        assert stats.get(f"ckmon/{counter}", 0) == count, (counter, stats)


MARKUP_SOUP = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<html>",
                "<head>",
                "<title>",
                "</title>",
                "<body>",
                "<p>",
                "</p>",
                "<![CDATA[",
                "]]>",
                "<!--",
                "-->",
                "<!DOCTYPE html>",
                '<?xml version="1.0" encoding="utf-16"?>',
                '<meta charset="euc-kr">',
                "<script>",
                "</script>",
                "<rss>",
                "<item>",
                "<link>",
                "<entry>",
                '<link href="',
                '">',
                "<pubDate>",
                "</item>",
                "\ufeff",
                *NASTY,
            ]
        ),
        st.text(ANY_CHAR, max_size=10),
    ),
    max_size=30,
).map("".join)


@bounded(200)
@given(
    st.one_of(
        MARKUP_SOUP,
        st.binary(max_size=300),
        MARKUP_SOUP.map(lambda s: s.encode("utf-8", "surrogatepass")),
    )
)
def test_any_input_is_no_exception(anything: str | bytes) -> None:
    """Not a page or a feed at all: still no exception, no fetch, no invalid text out."""
    with refused_connections() as attempts:
        article = extract_article(anything, "https://news.test/a.html")
        raw = anything if isinstance(anything, bytes) else anything.encode("utf-8", "surrogatepass")
        feed = read_feed(raw, "https://news.test/feed.xml")
        looks_binary(page_text(raw, "text/html; charset=utf-8").text)  # charset detection too
    assert attempts == []
    assert all(_valid(v) for v in [article.title, article.text, article.lead, *article.authors])
    for entry in feed.entries:
        assert all(_valid(entry.get(key)) for key in ("title", "link", "summary", "id"))
