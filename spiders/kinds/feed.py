"""RSS and Atom feeds, read with feedparser."""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator, Iterator
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


class FeedSpider(OutletSpider):
    async def start(self) -> AsyncIterator[Request]:
        for url in self.source.feeds:
            yield Request(url, callback=self.parse_feed, errback=self.discovery_failed)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        feed = feedparser.parse(response.body, response_headers={"content-location": response.url})
        if not feed.entries:
            self.count("feed_empty_or_malformed")
            reason = feed.get("bozo_exception", "no entries")
            self.logger.warning("feed has no usable entries: %s (%s)", response.url, reason)
            return
        self.count("feeds_ok")
        for entry in feed.entries:
            link = (entry.get("link") or "").strip()
            if not link:
                self.count("entry_without_link")
                continue
            when = entry_time(entry)
            if when and self.since and when < self.since:
                self.count("entry_too_old")
                continue
            listed = {
                "title": entry.get("title", ""),
                "published": when.isoformat() if when else "",
            }
            yield response.follow(
                link,
                callback=self.parse_article,
                errback=self.article_failed,
                cb_kwargs={"listed": listed},
            )
