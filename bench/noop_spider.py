"""The baseline of bench/crawl.py: a Scrapy spider that fetches the same pages and does nothing.

It reads the same feeds and sitemaps (article links found with one regular expression), requests
every article page, and drops the response. Same Scrapy, same concurrency, same politeness settings
as the ckmon crawl it is compared with (given on the command line), and the two settings ckmon
changes for speed (`spiders/settings.py`), so the baseline is not handicapped by Scrapy defaults
ckmon avoids.

    python bench/noop_spider.py --concurrency 8 URL [URL...]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from spiders import settings as ckmon_settings

LINK = re.compile(rb"<(?:link|loc)>([^<]+)</(?:link|loc)>")


class NoopSpider(Spider):
    name = "noop"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = urls

    def parse(self, response: Response) -> Iterator[Request]:
        for link in LINK.findall(response.body):
            url = link.decode().strip()
            if url.endswith(".html"):
                yield Request(url, callback=self.drop)

    def drop(self, response: Response) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args()
    process = CrawlerProcess(
        {
            "ROBOTSTXT_OBEY": True,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "COOKIES_ENABLED": False,
            "CONCURRENT_ITEMS": ckmon_settings.CONCURRENT_ITEMS,
            "WARN_ON_GENERATOR_RETURN_VALUE": ckmon_settings.WARN_ON_GENERATOR_RETURN_VALUE,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "WARNING",
        }
    )
    process.crawl(NoopSpider, urls=args.urls)
    process.start()


if __name__ == "__main__":
    main()
