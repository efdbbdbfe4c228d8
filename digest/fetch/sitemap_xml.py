"""Sitemaps and Google News sitemaps as plain data, so old items are skipped before any fetch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


@dataclass(frozen=True)
class SitemapEntry:
    """One <url> of a urlset (or one <sitemap> of an index, with `is_index` set)."""

    loc: str
    lastmod: datetime | None = None
    title: str = ""  # news:title
    published: datetime | None = None  # news:publication_date
    language: str = ""  # news:language (ISO 639, e.g. "ko", "zh-cn")
    is_index: bool = False

    @property
    def when(self) -> datetime | None:
        return self.published or self.lastmod


def parse_w3c_datetime(value: str) -> datetime | None:
    """A W3C datetime (YYYY-MM-DD, or with time and offset) as aware UTC; None if unreadable."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(node: etree._Element, name: str) -> str:
    for child in node:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def parse_sitemap(body: bytes) -> list[SitemapEntry]:
    """Entries of a urlset or sitemapindex; raises ValueError if `body` is neither."""
    # No entities, no network, no huge trees: the document is untrusted.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    root = etree.fromstring(body.strip(), parser=parser)
    if root is None or _local(root.tag) not in ("urlset", "sitemapindex"):
        raise ValueError("not a sitemap (no urlset or sitemapindex root)")
    is_index = _local(root.tag) == "sitemapindex"
    entries = []
    for node in root:
        if _local(node.tag) not in ("url", "sitemap"):
            continue
        loc = _child_text(node, "loc")
        if not loc:
            continue
        title, published, language = "", None, ""
        for news in node.iter(f"{{{NEWS_NS}}}news"):
            title = _child_text(news, "title")
            published = parse_w3c_datetime(_child_text(news, "publication_date"))
            for pub in news.iter(f"{{{NEWS_NS}}}publication"):
                language = _child_text(pub, "language").lower()
        entries.append(
            SitemapEntry(
                loc=loc,
                lastmod=parse_w3c_datetime(_child_text(node, "lastmod")),
                title=title,
                published=published,
                language=language,
                is_index=is_index,
            )
        )
    return entries


def language_matches(declared: str, wanted: str) -> bool:
    """news:language "ko" or "ko-kr" matches outlet language "ko"; an empty declaration matches."""
    return not declared or declared.split("-")[0] == wanted
