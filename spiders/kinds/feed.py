"""RSS and Atom feeds, read with feedparser."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
from scrapy import Request
from scrapy.http import Response

from digest.analysis.dates import EARLIEST
from digest.analysis.urls import canonical_url
from digest.crashpoints import crashpoint
from digest.fetch.feed_xml import read_feed
from spiders.kinds.base import OutletSpider

# A UTC offset at the end of a date as written ("+09:00", "-0500"); feedparser applies any it is
# given, "+99:99" too, which moved a date four days and made a new entry look years old.
_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)\s*$")


def entry_time(entry: Any) -> datetime | None:
    """The entry's published (else updated) time as aware UTC, if feedparser could read one
    that a datetime can hold ("9999-12-31T23:59:59-14:00" is in the year 10000: no date), with
    a real UTC offset (at most 14 hours), from the web's years: a date that is none of these is
    no date, and the page's own date decides (a nonsense date must not make an entry "old")."""
    field = "published" if entry.get("published_parsed") else "updated"
    parsed = entry.get(f"{field}_parsed")
    if not parsed:
        return None
    offset = _OFFSET.search(str(entry.get(field, "")))
    if offset and (int(offset[2]) > 14 or int(offset[3]) > 59):
        return None
    try:
        when = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return when if when >= EARLIEST else None


def parse_feed_body(spider: OutletSpider, response: Response) -> list[Any]:
    """The entries of a feed response, or [] (counted and logged) when it has none.

    Empty, unreadable (HTML, binary) and entry-less feeds are told apart in the log and stats;
    a malformed feed (truncated, bad nesting) keeps the entries the lenient parser recovered.
    """
    if not response.body.strip():
        spider.count("feed_empty_response")
        spider.logger.warning("feed response is empty: %s", response.url)
        return []
    feed = read_feed(response.body, response.url)
    error = feed.get("bozo_exception")
    if isinstance(error, feedparser.NonXMLContentType):  # we pass no Content-Type: not a fault
        error = None
    if not feed.entries:
        if feed.get("version"):
            spider.count("feed_without_entries")
            spider.logger.warning("feed has no entries: %s", response.url)
        else:
            spider.count("feed_malformed")
            spider.logger.warning(
                "not a readable feed: %s (%s)", response.url, error or "no feed elements"
            )
    elif error is not None and not isinstance(error, feedparser.CharacterEncodingOverride):
        spider.count("feed_malformed_recovered")
        spider.logger.warning(
            "malformed feed, %d entries recovered: %s (%s)", len(feed.entries), response.url, error
        )
    return list(feed.entries)


class FeedMixin(OutletSpider):
    def feed_requests(self) -> Iterator[Request]:
        for url in self.source.feeds:
            yield self.discovery_request(url, self.parse_feed)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        if self.unchanged(response):
            return
        entries = parse_feed_body(self, response)
        crashpoint("feed-read")  # tests: killed after the feed answered, before its articles
        if entries:
            self.count("feeds_ok")
        entries = self.capped("feed", entries, response.url, entry_time)
        links: set[str] = set()
        for entry in entries:
            link = (entry.get("link") or "").strip()
            if not link:
                self.count("entry_without_link")
                self.logger.warning(
                    "feed entry without link skipped: %r in %s",
                    str(entry.get("title", ""))[:80],
                    response.url,
                )
                continue
            absolute = self.article_link(response, link)
            if absolute is None:
                continue
            key = canonical_url(absolute)
            if key in links:
                self.count("entry_duplicate")
                self.logger.info("duplicate feed entry skipped: %s in %s", link[:200], response.url)
                continue
            links.add(key)
            when = entry_time(entry)
            if when is None:
                self.count("entry_without_date")
                self.logger.info(
                    "feed entry without a readable date (the page's date decides): %s", link[:200]
                )
            elif when > datetime.now(UTC) + timedelta(days=2):
                self.count("entry_date_in_future")
                self.logger.info("feed entry dated in the future (%s): %s", when.date(), link[:200])
            if self.too_old(when):
                continue
            listed = {
                "title": entry.get("title", ""),
                "published": when.isoformat() if when else "",
            }
            yield self.article_request(response, absolute, listed)
