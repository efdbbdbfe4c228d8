"""An outlet's own site: every discovery method it declares (feeds, sitemaps, listings)."""

from __future__ import annotations

from collections.abc import Iterator

from scrapy import Request

from spiders.kinds.feed import FeedMixin
from spiders.kinds.listing import ListingMixin
from spiders.kinds.sitemap import SitemapMixin


class SiteSpider(FeedMixin, SitemapMixin, ListingMixin):
    def discovery_requests(self) -> Iterator[Request]:
        yield from self.feed_requests()
        yield from self.sitemap_requests()
        yield from self.listing_requests()
