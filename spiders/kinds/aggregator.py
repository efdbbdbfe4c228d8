"""Search aggregators: Google News RSS search and the GDELT DOC 2.0 API find outlets we do not list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from scrapy import Request
from scrapy.http import Response

from digest.fetch.aggregator_feeds import (
    GDELT_LANGUAGE_CODES,
    GdeltArticle,
    gnews_publisher_url,
    is_aggregator_page,
    parse_gdelt,
)
from spiders.kinds.base import OutletSpider
from spiders.kinds.feed import entry_time, parse_feed_body


class GoogleNewsSpider(OutletSpider):
    def discovery_requests(self) -> Iterator[Request]:
        for url in self.source.discovery_urls:
            yield self.discovery_request(url, self.parse_search)

    def parse_search(self, response: Response) -> Iterator[Request]:
        if self.unchanged(response):
            return
        entries = parse_feed_body(self, response)
        if entries:
            self.count("feeds_ok")
        for entry in self.capped("search", entries, response.url, entry_time):
            link = (entry.get("link") or "").strip()
            when = entry_time(entry)
            if not link or self.too_old(when):
                continue
            title = entry.get("title", "")
            publisher = (entry.get("source") or {}).get("title", "")
            if publisher and title.endswith(f" - {publisher}"):
                title = title[: -len(publisher) - 3]
            resolved = gnews_publisher_url(link)
            self.count("gnews_resolved" if resolved else "gnews_followed")
            listed = {"title": title, "published": when.isoformat() if when else ""}
            yield from self.follow_article(response, resolved or link, listed)

    def parse_article(
        self, response: Response, listed: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        if is_aggregator_page(response.url):  # the link did not lead to the publisher
            self.count("gnews_unresolved")
            self.logger.info("Google News link not resolved to a publisher: %s", response.url)
            return
        yield from super().parse_article(response, listed)


def _seen(article: GdeltArticle) -> datetime | None:
    return article.seen


class GdeltSpider(OutletSpider):
    def discovery_requests(self) -> Iterator[Request]:
        for url in self.source.discovery_urls:
            yield self.discovery_request(url, self.parse_search)

    def parse_search(self, response: Response) -> Iterator[Request]:
        if self.unchanged(response):
            return
        try:
            articles = parse_gdelt(response.body)
        except ValueError as exc:
            self.count("gdelt_malformed")
            self.logger.warning("GDELT answer unusable: %s: %s", response.url, exc)
            return
        self.count("feeds_ok")
        for article in self.capped("search", articles, response.url, _seen):
            if self.too_old(article.seen):
                continue
            # A language GDELT names that is not the outlet's (or not one ckmon reads) is skipped.
            lang = GDELT_LANGUAGE_CODES.get(article.language.lower(), "")
            if article.language and lang != self.source.lang:
                self.count("entry_other_language")
                continue
            listed = {
                "title": article.title,
                "published": article.seen.isoformat() if article.seen else "",
                "via": "gdelt",
            }
            yield from self.follow_article(response, article.url, listed)
