"""News sitemaps and sitemap indexes: old items are skipped on their dates, before any fetch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from scrapy import Request
from scrapy.http import Response
from scrapy.utils.gz import gunzip

from digest.fetch.sitemap_xml import SitemapEntry, language_matches, parse_sitemap
from spiders.kinds.base import OutletSpider

MAX_DEPTH = 2  # an index of indexes of urlsets, no deeper


def _lastmod(entry: SitemapEntry) -> datetime | None:
    return entry.lastmod


def _when(entry: SitemapEntry) -> datetime | None:
    return entry.when


class SitemapMixin(OutletSpider):
    def sitemap_requests(self) -> Iterator[Request]:
        for url in self.source.sitemaps:
            yield self.discovery_request(url, self.parse_sitemap, sitemap_depth=0)

    def _sitemap_body(self, response: Response) -> bytes | None:
        body = response.body
        if body[:2] == b"\x1f\x8b":  # a .xml.gz file (not transport compression)
            max_size = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            try:
                body = gunzip(body, max_size=max_size)
            except Exception as exc:  # corrupt or over the size limit: both mean "unusable"
                self.count("sitemap_dropped")
                self.logger.warning("sitemap dropped: %s: %s", response.url, exc)
                return None
        return body

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        if self.unchanged(response):
            return
        body = self._sitemap_body(response)
        if body is None:
            return
        try:
            entries = parse_sitemap(body)
        except (ValueError, SyntaxError) as exc:
            self.count("sitemap_malformed")
            self.logger.warning("not a sitemap: %s: %s", response.url, exc)
            return
        self.count("sitemaps_ok")
        depth = response.meta.get("sitemap_depth", 0)
        children = [e for e in entries if e.is_index]
        if children and depth < MAX_DEPTH:
            recent = [e for e in children if not self.too_old(e.lastmod)]
            for child in self.capped("sitemap_index", recent, response.url, _lastmod):
                yield self.discovery_request(
                    response.urljoin(child.loc), self.parse_sitemap, sitemap_depth=depth + 1
                )
        urls = [e for e in entries if not e.is_index]
        for entry in self.capped("sitemap", urls, response.url, _when):
            if self.too_old(entry.when):
                continue
            if not language_matches(entry.language, self.source.lang):
                self.count("entry_other_language")
                continue
            listed = {
                "title": entry.title,
                "published": entry.published.isoformat() if entry.published else "",
                "via": "sitemap",
            }
            yield from self.follow_article(response, entry.loc, listed)
