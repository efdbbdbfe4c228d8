"""RSS and Atom feeds, read with feedparser."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser
from scrapy import Request
from scrapy.http import Response

from spiders.kinds.base import OutletSpider


def entry_time(entry: Any) -> datetime | None:
    """The entry's published (else updated) time as aware UTC, if feedparser could read one."""
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None


def parse_feed_body(spider: OutletSpider, response: Response) -> list[Any]:
    """The entries of a feed response, or [] (counted and logged) when it has none."""
    feed = feedparser.parse(response.body, response_headers={"content-location": response.url})
    if not feed.entries:
        spider.count("feed_empty_or_malformed")
        reason = feed.get("bozo_exception", "no entries")
        spider.logger.warning("feed has no usable entries: %s (%s)", response.url, reason)
    return list(feed.entries)


class FeedMixin(OutletSpider):
    def feed_requests(self) -> Iterator[Request]:
        for url in self.source.feeds:
            yield self.discovery_request(url, self.parse_feed)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        if self.unchanged(response):
            return
        entries = parse_feed_body(self, response)
        if entries:
            self.count("feeds_ok")
        for entry in entries:
            link = (entry.get("link") or "").strip()
            if not link:
                self.count("entry_without_link")
                continue
            when = entry_time(entry)
            if self.too_old(when):
                continue
            listed = {
                "title": entry.get("title", ""),
                "published": when.isoformat() if when else "",
            }
            yield self.article_request(response, link, listed)
