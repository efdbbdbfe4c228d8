"""Generic spider kinds, one per discovery method; outlets pick one in the registry."""

from __future__ import annotations

from scrapy import Spider

from spiders.kinds.aggregator import GdeltSpider, GoogleNewsSpider
from spiders.kinds.site import SiteSpider

# feed, sitemap and listing outlets share one class: it uses every method the outlet declares.
KINDS: dict[str, type[Spider]] = {
    "feed": SiteSpider,
    "sitemap": SiteSpider,
    "listing": SiteSpider,
    "gnews": GoogleNewsSpider,
    "gdelt": GdeltSpider,
}
