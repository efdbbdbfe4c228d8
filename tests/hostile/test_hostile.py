"""Hostile scraped content in the digest: inert in the HTML (escaped, no javascript: link, bounded
headlines), a sane text part, untouched mail headers, and no script run in a real browser."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

from bs4 import BeautifulSoup
from sqlalchemy import update

from digest.analysis.extract import extract_article
from digest.deliver.publish import Publishing, publish_due
from digest.store.engine import make_sessionmaker
from digest.store.models import ArticleRow
from tests.support.browser import headless_chromium
from tests.support.weekdata import NOW, make_config, populate

RLO, ZWSP, ZWJ, LS = "\u202e", "\u200b", "\u200d", "\u2028"
SCRIPT = "<script>document.title='pwned'</script>"
TOP_TITLE = (
    f"{SCRIPT}Cambodia{ZWSP} and Korea <img src=x onerror=alert(1)> sign pact\r\n"
    f"Bcc: victim@evil.test\nX-Injected: yes {RLO}gpj.exe{LS}"
    + " very long"
    * 100_000  # a megabyte-long title
)
ALSO_TITLE = f'한-캄보디아 {RLO}FTA{ZWJ} "><svg onload=alert(2)> 서명'
LEAD = f'{SCRIPT} PHNOM PENH - <a href="javascript:alert(3)">click</a> onerror=alert(4)\r\nok.'


def _publish(tmp: Path) -> tuple[email.message.EmailMessage, str]:
    config = make_config(tmp)
    session = make_sessionmaker(config.store.url)()
    populate(session)
    hostile = {  # the FTA story: its original (1) leads, the Korean copy (2) is "also in"
        1: {"title": TOP_TITLE, "url": "javascript:alert(document.domain)", "lead": LEAD},
        2: {"title": ALSO_TITLE, "url": " JavaScript:alert(5)"},
    }
    for article_id, values in hostile.items():
        session.execute(update(ArticleRow).where(ArticleRow.id == article_id).values(**values))
    session.commit()
    published = publish_due(session, Publishing.from_config(config), NOW)
    assert published is not None and published.complete
    (eml,) = published.paths
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    return msg, published.page.read_text(encoding="utf-8")


def _assert_inert(html: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find_all(["script", "svg", "iframe", "object", "embed"]) == []
    assert not soup.find_all("img", src="x")
    for tag in soup.find_all(True):
        handlers = [a for a in tag.attrs if a.lower().startswith("on")]
        assert handlers == [], (tag.name, handlers)
    hrefs = [a.get("href", "") for a in soup.find_all("a")]
    assert hrefs and all(re.match(r"(https?:|mailto:|$)", h.strip(), re.I) for h in hrefs), hrefs
    for tag in soup.find_all(True):  # no attribute anywhere carries a script address
        assert not any("javascript:" in str(v).lower() for v in tag.attrs.values()), tag
    assert "&lt;script&gt;document.title=" in html  # shown as text, escaped
    assert RLO not in html and LS not in html
    assert len(html.encode()) < 200_000  # the megabyte title is cut
    longest = max(len(s) for s in soup.stripped_strings)
    assert longest < 1_000, longest


def test_hostile_titles_links_and_text_are_inert(tmp_path: Path) -> None:
    msg, page = _publish(tmp_path)

    # Headers: one Subject line with the cleaned headline; nothing injected.
    raw_headers = msg.as_bytes().split(b"\n\n", 1)[0].decode("ascii")
    assert "X-Injected" not in raw_headers and "Bcc" not in raw_headers
    subject = str(msg["Subject"])
    assert subject.startswith("Cambodia–Korea digest 2026-W48: ")
    assert "Cambodia and Korea" in subject and len(subject) < 200
    assert not re.search(r"[\r\n\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]", subject)
    assert str(msg["To"]) == "desk@ckmon.test"

    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    for document in (html, page):
        _assert_inert(document)

    # The text part: the headline on one bounded line, no direction override, no JS address.
    assert RLO not in text and LS not in text and "\r" not in text.replace("\r\n", "\n")
    assert max(len(line) for line in text.splitlines()) < 400
    (headline,) = [line for line in text.splitlines() if "sign pact" in line]
    assert headline.startswith("* <script>document.title='pwned'</script>Cambodia")
    # The javascript: addresses of both items are not printed (the lead's words stay, as text).
    assert "alert(document.domain)" not in text and "alert(5)" not in text


def test_hostile_digest_runs_no_script_in_chromium(tmp_path: Path) -> None:
    msg, _ = _publish(tmp_path)
    page = tmp_path / "hostile.html"
    page.write_text(msg.get_body(("html",)).get_content(), encoding="utf-8")
    dom = headless_chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    soup = BeautifulSoup(dom.stdout, "html.parser")
    assert soup.title is not None and "pwned" not in soup.title.get_text()
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom.stdout
    assert soup.find_all(["script", "svg"]) == [] and not soup.find_all("img", src="x")


def test_javascript_canonical_and_title_on_a_crawled_page() -> None:
    """A page's own rel=canonical or og:url cannot turn its key into a javascript: address."""
    html = (
        "<html><head><title>Cambodia &lt;script&gt;alert(1)&lt;/script&gt; Korea</title>"
        '<link rel="canonical" href="javascript:alert(1)">'
        '<meta property="og:url" content="javascript:alert(2)"></head><body><article>'
        "<h1>Cambodia and Korea</h1><p>Officials from Cambodia and South Korea met in Phnom Penh "
        "on Tuesday, a page written for ckmon's hostile-content tests.</p></article></body></html>"
    )
    article = extract_article(html, "https://news.example.org/a/1.html")
    assert article.canonical_url.startswith("https://news.example.org/")
