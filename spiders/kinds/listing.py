"""Listing pages (home, section, search): article links are those matching the outlet's pattern."""

from __future__ import annotations

from collections.abc import Iterator

from scrapy import Request
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor

from spiders.kinds.base import OutletSpider


class ListingMixin(OutletSpider):
    def listing_requests(self) -> Iterator[Request]:
        for listing in self.source.listings:
            yield self.discovery_request(
                listing.url, self.parse_listing, listing_pattern=listing.pattern
            )

    def parse_listing(self, response: Response) -> Iterator[Request]:
        if self.unchanged(response):
            return
        if not isinstance(response, TextResponse):
            self.count("listing_not_html")
            self.logger.warning("listing page is not HTML: %s", response.url)
            return
        extractor = LinkExtractor(allow=response.meta["listing_pattern"], unique=True)
        links = extractor.extract_links(response)
        if not links:
            self.count("listing_without_links")
            self.logger.warning("no article links on listing page: %s", response.url)
            return
        self.count("listings_ok")
        for link in self.capped("listing", links, response.url):
            # A listing gives no dates: the page's own date decides, and stored URLs are skipped.
            yield from self.follow_article(response, link.url, {"title": link.text.strip()})
