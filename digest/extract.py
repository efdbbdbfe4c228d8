"""HTML page → Article: structured metadata first, then trafilatura for the body."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import py3langid
import trafilatura
from bs4 import BeautifulSoup
from htmldate import find_date

from digest.article import Article
from digest.urls import canonical_url

log = logging.getLogger(__name__)


def extract_article(html: str | bytes, url: str) -> Article:
    """Extract title, times, body and language from one article page.

    Never raises on bad markup: what cannot be found stays empty, and the caller decides.
    """
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    soup = BeautifulSoup(html, "lxml")
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    meta = _meta(soup)
    title = meta.get("og:title") or (doc.title if doc else "") or _text(soup.title)
    text = (doc.text if doc else "") or ""
    lead = meta.get("og:description") or meta.get("description") or (doc.description if doc else "")
    published, source = _published(meta, html, doc)
    declared = _canonical_link(soup) or meta.get("og:url")
    article = Article(
        url=url,
        title=" ".join((title or "").split()),
        text=text.strip(),
        lead=" ".join((lead or "").split()),
        authors=[a.strip() for a in (doc.author or "").split(";") if a.strip()] if doc else [],
        published=published,
        date_source=source,
        image=meta.get("og:image", "") or (doc.image if doc and doc.image else ""),
        canonical_url=canonical_url(url, declared),
    )
    article.lang = detect_language(f"{article.title}\n{article.text[:2000]}")
    return article


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language (py3langid), or '' when there is no text."""
    return py3langid.classify(text)[0] if text.strip() else ""


def _text(node: object) -> str:
    return node.get_text(" ", strip=True) if node is not None else ""  # type: ignore[attr-defined]


def _meta(soup: BeautifulSoup) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").lower()
        content = tag.get("content")
        if key and isinstance(content, str) and content.strip() and key not in found:
            found[key] = content.strip()
    return found


def _canonical_link(soup: BeautifulSoup) -> str:
    link = soup.find("link", rel="canonical")
    href = link.get("href") if link is not None else None
    return href.strip() if isinstance(href, str) else ""


def _aware(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


def _published(meta: dict[str, str], html: str, doc: object) -> tuple[datetime | None, str]:
    for key in ("article:published_time", "datepublished", "pubdate", "og:published_time"):
        if key in meta and (when := _aware(meta[key])):
            return when, "meta"
    found = find_date(html, outputformat="%Y-%m-%dT%H:%M:%S%z", original_date=True)
    if found:
        when = _aware(found) or _aware(found[:10] + "T00:00:00+00:00")
        if when:
            return when, "htmldate"
    return None, ""
