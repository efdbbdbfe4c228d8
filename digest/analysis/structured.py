"""Structured metadata a page declares about itself: JSON-LD (NewsArticle, @graph), OpenGraph, meta.

Publishers fill these for search engines and social cards, so they are more reliable than anything
guessed from the layout; extraction reads them first.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

from digest.analysis.textnorm import valid_text

log = logging.getLogger(__name__)
_CDATA = re.compile(r"<!\[CDATA\[|\]\]>|<!--|-->")

ARTICLE_TYPES = frozenset(
    "NewsArticle Article ReportageNewsArticle AnalysisNewsArticle OpinionNewsArticle "
    "BackgroundNewsArticle BlogPosting LiveBlogPosting Report ScholarlyArticle "
    "TechArticle SocialMediaPosting WebPageElement".split()
)


@dataclass
class Declared:
    """What the page says about itself; empty strings where it says nothing."""

    title: str = ""
    description: str = ""
    body: str = ""
    authors: list[str] = field(default_factory=list)
    published: str = ""
    published_from: str = ""  # jsonld | meta
    updated: str = ""
    image: str = ""
    url: str = ""
    canonical: str = ""
    lang: str = ""
    site_name: str = ""
    meta: dict[str, str] = field(default_factory=dict)


def read_declared(root: HtmlElement | None) -> Declared:
    """JSON-LD first, then OpenGraph/article:* and plain meta tags for what JSON-LD leaves empty.

    `root` is the page parsed by lxml (None: nothing could be parsed). Only a few elements are
    read, so no BeautifulSoup tree is built for them.
    """
    if root is None:
        return Declared()
    meta = _meta(root)
    found = Declared(meta=meta)
    node = _article_node(root)
    if node:
        found.title = _text(node.get("headline") or node.get("name"))
        found.description = _text(node.get("description"))
        found.body = _text(node.get("articleBody"))
        found.authors = _people(node.get("author"))
        found.published = _text(node.get("datePublished") or node.get("dateCreated"))
        found.published_from = "jsonld" if found.published else ""
        found.updated = _text(node.get("dateModified"))
        found.image = _image(node.get("image"))
        found.url = _text(node.get("url") or _id_url(node.get("mainEntityOfPage")))
        found.lang = _text(node.get("inLanguage"))
    found.title = found.title or meta.get("og:title", "") or meta.get("twitter:title", "")
    found.description = (
        found.description
        or meta.get("og:description", "")
        or meta.get("description", "")
        or meta.get("twitter:description", "")
    )
    if not found.published:
        for key in (
            "article:published_time",
            "og:article:published_time",
            "datepublished",
            "pubdate",
            "publishdate",
            "date",
            "dc.date.issued",
            "dc.date",
            "sailthru.date",
            "parsely-pub-date",
        ):
            if meta.get(key):
                found.published, found.published_from = meta[key], "meta"
                break
    found.updated = found.updated or meta.get("article:modified_time", "")
    found.updated = found.updated or meta.get("og:updated_time", "")
    found.updated = found.updated or meta.get("datemodified", "")
    if not found.authors:
        names = [meta.get(k, "") for k in ("author", "article:author", "byl", "dc.creator")]
        found.authors = [n for n in names[:1] + names[2:] if n and "://" not in n]
    found.image = found.image or meta.get("og:image", "") or meta.get("twitter:image", "")
    found.url = found.url or meta.get("og:url", "")
    found.canonical = _canonical_link(root)
    found.site_name = meta.get("og:site_name", "")
    html = root if root.tag == "html" else next(root.iter("html"), None)
    lang = html.get("lang") if html is not None else None
    found.lang = found.lang or (lang if isinstance(lang, str) else "") or meta.get("og:locale", "")
    return found


def _meta(root: HtmlElement) -> dict[str, str]:
    """Meta tags by property or name and by itemprop, and microdata stamps on other elements
    (`<time itemprop=datePublished datetime=…>`: Joomla's articles carry their dates only so)."""
    found: dict[str, str] = {}
    for tag in root.xpath("//meta | //*[@itemprop][@content or @datetime]"):
        content = tag.get("content") or tag.get("datetime")
        if not isinstance(content, str) or not content.strip():
            continue
        named = tag.get("property") or tag.get("name") if tag.tag == "meta" else None
        for key in (named, tag.get("itemprop")):
            if key and key.lower() not in found:
                found[key.lower()] = content.strip()
    return found


def _canonical_link(root: HtmlElement) -> str:
    for link in root.iter("link"):
        href = link.get("href")
        if href is not None and "canonical" in (r.lower() for r in (link.get("rel") or "").split()):
            return href.strip()
    return ""


def _article_node(root: HtmlElement) -> dict[str, Any]:
    """The most article-like JSON-LD object on the page (the one with most article fields)."""
    best: dict[str, Any] = {}
    best_score = 0
    for script in root.iter("script"):
        kind = script.get("type")
        if not kind or "ld+json" not in kind.lower():
            continue
        raw = _CDATA.sub("", script.text or "")
        try:
            data = json.loads(raw.strip().rstrip(";"))
        except (ValueError, RecursionError):
            log.debug("unreadable JSON-LD block skipped")
            continue
        for node in _nodes(data):
            types = node.get("@type")  # a name or a list of names; anything else names nothing
            listed = types if isinstance(types, list) else [types]
            names = {t for t in listed if isinstance(t, str)}
            if not names & ARTICLE_TYPES:
                continue
            score = sum(bool(node.get(k)) for k in ("headline", "datePublished", "articleBody"))
            score += 2 if "NewsArticle" in names else 0
            if score > best_score:
                best, best_score = node, score
    return best


def _nodes(data: Any, depth: int = 0) -> list[dict[str, Any]]:
    """Every object in a JSON-LD document: lists, @graph and nested mainEntity included."""
    if depth > 6:
        return []
    if isinstance(data, list):
        return [n for item in data for n in _nodes(item, depth + 1)]
    if not isinstance(data, dict):
        return []
    found = [data]
    for key in ("@graph", "mainEntity", "itemListElement"):
        if key in data:
            found.extend(_nodes(data[key], depth + 1))
    return found


def _text(value: Any) -> str:
    """A JSON-LD value as one line of valid text: every field read from JSON-LD passes here, and
    JSON escapes decode to lone surrogates and NUL ("\\ud800"), which no store accepts."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name") or ""
    return valid_text(" ".join(str(value).split())) if value else ""


def _id_url(value: Any) -> str:
    if isinstance(value, dict):
        return _text(value.get("@id") or value.get("url"))
    return _text(value)


def _people(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = _text(item.get("name")) if isinstance(item, dict) else _text(item)
        if name and "://" not in name and name not in names:
            names.append(name)
    return names


def _image(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        return _text(value.get("url") or value.get("contentUrl"))
    return _text(value)
