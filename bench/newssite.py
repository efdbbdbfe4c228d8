"""A loopback news site for the crawl benchmarks: three outlets, thousands of pages, served from memory.

Articles come from bench/synth.py (English, Korean, Khmer; some edited copies). Each language is one
outlet with a realistic page (navigation, related links, footer, scripts, JSON-LD and OpenGraph):
English and Khmer list their articles in feeds of 100 items, Korean in news sitemaps of 100 URLs.
Served by ckmon's one loopback server (digest.fetch.localsite) as a real site: HTTP/1.1 keep-alive,
ETag and Last-Modified, 304 Not Modified to a conditional request, 404 for robots.txt. Every answer
is logged (path, status, body bytes, time).
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from synth import SynthArticle, articles

from digest.fetch.localsite import RequestLog
from digest.fetch.localsite import Site as OneSite
from digest.fetch.localsite import serve_site as serve_one

PER_LIST = 100  # items per feed or sitemap
OUTLETS = {"en": "benchen", "ko": "benchko", "km": "benchkm"}
NAV = ["Home", "National", "Business", "World", "Politics", "Sport", "Culture", "Opinion", "Video"]
SCRIPT = "window.dataLayer=window.dataLayer||[];" + "".join(
    f"function t{i}(e){{return e&&e.id?e.id+{i}:{i}}}" for i in range(120)
)
STYLE = "".join(f".c{i}{{margin:{i % 9}px;color:#{i:03x}}}" for i in range(200))


@dataclass
class Page:
    body: bytes
    ctype: str
    etag: str


@dataclass
class Site:
    """Pages by path, the article paths, and the sources.toml of the three outlets."""

    pages: dict[str, Page]
    article_paths: set[str]
    feeds: dict[str, list[str]]  # outlet -> discovery paths
    modified: str = field(default="")


def _page(a: SynthArticle, path: str, published: datetime, related: list[str]) -> str:
    title = html.escape(a.title)
    body = "".join(f"<p>{html.escape(p)}</p>" for p in a.text.split("\n\n"))
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "datePublished": published.isoformat(),
            "author": {"@type": "Person", "name": "Bench Desk"},
            "inLanguage": a.lang,
        },
        ensure_ascii=False,
    )
    nav = "".join(f'<li><a href="/{a.lang}/section/{n.lower()}">{n}</a></li>' for n in NAV)
    side = "".join(f'<li><a href="/{p}">Related story {i}</a></li>' for i, p in enumerate(related))
    return (
        f'<!DOCTYPE html><html lang="{a.lang}"><head><meta charset="utf-8"><title>{title} | Bench '
        f'{a.lang.upper()} News</title><meta property="og:title" content="{title}">'
        f'<meta property="og:type" content="article">'
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        f'<link rel="canonical" href="{{BASE}}/{path}"><style>{STYLE}</style>'
        f'<script type="application/ld+json">{ld}</script><script>{SCRIPT}</script></head><body>'
        f'<header><div class="logo">Bench {a.lang.upper()} News</div><nav><ul>{nav}</ul></nav>'
        f'<form action="/search"><input name="q"></form></header><main><article>'
        f'<h1 class="headline">{title}</h1><div class="byline">By Bench Desk · '
        f"{published:%d %B %Y}</div>{body}"
        f'<div class="share"><a href="#">Share</a> <a href="#">Print</a></div></article>'
        f"<aside><h3>Most read</h3><ul>{side}</ul></aside></main><footer><p>Written for ckmon "
        "benchmarks; sample text.</p><ul>"
        + "".join(f'<li><a href="/about/{i}">About {i}</a></li>' for i in range(12))
        + "</ul></footer></body></html>"
    )


def _feed(outlet: str, entries: list[tuple[str, SynthArticle, datetime]]) -> str:
    items = "".join(
        f"<item><title>{html.escape(a.title)}</title><link>{{BASE}}/{p}</link>"
        f"<guid>{{BASE}}/{p}</guid><pubDate>{format_datetime(when)}</pubDate>"
        f"<description>{html.escape(a.text[:200])}</description></item>"
        for p, a, when in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{outlet}</title><link>{{BASE}}/</link><description>Written for ckmon benchmarks"
        f"</description>{items}</channel></rss>"
    )


def _sitemap(entries: list[tuple[str, SynthArticle, datetime]]) -> str:
    urls = "".join(
        f"<url><loc>{{BASE}}/{p}</loc><news:news><news:publication><news:name>Bench</news:name>"
        f"<news:language>{a.lang}</news:language></news:publication>"
        f"<news:publication_date>{when.isoformat()}</news:publication_date>"
        f"<news:title>{html.escape(a.title)}</news:title></news:news></url>"
        for p, a, when in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{urls}</urlset>"
    )


def _entry(content: str, ctype: str) -> Page:
    body = content.encode("utf-8")
    return Page(body, ctype, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')


def build_site(count: int, seed: int = 7, now: datetime | None = None) -> Site:
    """`count` article pages published over the last five days, with their feeds and sitemaps."""
    now = now or datetime.now(UTC)
    pages: dict[str, Page] = {}
    listed: dict[str, list[tuple[str, SynthArticle, datetime]]] = {lang: [] for lang in OUTLETS}
    all_paths = [f"{a.lang}/news/{a.index:06d}.html" for a in articles(count, seed)]
    for a, path in zip(articles(count, seed), all_paths, strict=True):
        published = now - timedelta(minutes=3 * (count - a.index))  # newest last, all recent
        related = all_paths[max(0, a.index - 8) : a.index]
        pages[path] = _entry(_page(a, path, published, related), "text/html; charset=utf-8")
        listed[a.lang].append((path, a, published))
    feeds: dict[str, list[str]] = {}
    for lang, entries in listed.items():
        outlet = OUTLETS[lang]
        feeds[outlet] = []
        for n in range(0, len(entries), PER_LIST):
            chunk = entries[n : n + PER_LIST]
            if lang == "ko":
                path = f"{lang}/sitemap-news-{n // PER_LIST}.xml"
                pages[path] = _entry(_sitemap(chunk), "application/xml; charset=utf-8")
            else:
                path = f"{lang}/feed/{n // PER_LIST}.xml"
                pages[path] = _entry(_feed(outlet, chunk), "application/rss+xml; charset=utf-8")
            feeds[outlet].append(path)
    return Site(
        pages, set(all_paths), feeds, format_datetime(now - timedelta(hours=1), usegmt=True)
    )


def sources_toml(site: Site, base: str) -> str:
    """The registry entries of the three outlets, pointing at `base`."""
    out = []
    for lang, outlet in OUTLETS.items():
        urls = ", ".join(f'"{base}/{p}"' for p in site.feeds[outlet])
        key = "sitemaps" if lang == "ko" else "feeds"
        kind = "sitemap" if lang == "ko" else "feed"
        out.append(
            f'[{outlet}]\ntitle = "Bench {lang}"\nlang = "{lang}"\nhome = "{base}/{lang}/"\n'
            f'kind = "{kind}"\n{key} = [{urls}]\n'
        )
    return "\n".join(out)


@contextmanager
def serve_site(site: Site) -> Iterator[tuple[str, RequestLog]]:
    """Serve `site` on 127.0.0.1 at a free port (ckmon's one loopback server); yields (base URL,
    log). Keep-alive, ETag and Last-Modified with 304, as a real news site; nothing rendered but
    `{BASE}`, and no dates: the pages carry their own."""
    options = OneSite(
        pages={path: page.body for path, page in site.pages.items()},
        types={path: page.ctype for path, page in site.pages.items()},
        dates=False,
        keep_alive=True,
        conditional=True,
        modified_since=True,
        last_modified=site.modified,
    )
    with serve_one(options) as served:
        yield served.base, served.log
