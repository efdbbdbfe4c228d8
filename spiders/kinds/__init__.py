"""Generic spider kinds, one per discovery method; outlets pick one in the registry."""

from __future__ import annotations

from scrapy import Spider

from spiders.kinds.feed import FeedSpider

KINDS: dict[str, type[Spider]] = {"feed": FeedSpider}
