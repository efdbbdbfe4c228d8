"""What every spider kind shares: the `since` bound, article parsing, failure accounting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from scrapy import Spider
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from digest.extract import extract_article
from digest.sources import Source


def parse_since(value: str | None) -> datetime | None:
    """`-a since=YYYY-MM-DD` as the start of that day, UTC."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"since must be YYYY-MM-DD, got {value!r}") from exc


class OutletSpider(Spider):
    """Base of the generic kinds; `source` is set on each generated subclass."""

    source: ClassVar[Source]

    def __init__(self, *args: Any, since: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.since = parse_since(since)
        self.discovery_errors: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> OutletSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.since is None:
            days = crawler.settings.getint("CKMON_BACKFILL_DAYS", 14)
            spider.since = datetime.now(UTC) - timedelta(days=days)
        return spider

    def count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"ckmon/{key}", n)

    def discovery_failed(self, failure: Failure) -> None:
        """A feed (or sitemap, listing) could not be fetched: the outlet may be unreachable."""
        request = failure.request  # type: ignore[attr-defined]
        reason = failure.getErrorMessage() or failure.type.__name__
        self.discovery_errors.append(f"{request.url}: {reason}")
        self.count("discovery_failed")
        self.logger.error("discovery URL failed: %s: %s", request.url, reason)

    def article_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self.count("article_fetch_failed")
        self.logger.warning("article fetch failed: %s: %s", request.url, failure.getErrorMessage())

    def parse_article(
        self, response: Response, listed: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Extract one article; feed data fills what the page lacks."""
        listed = listed or {}
        if not isinstance(response, TextResponse):
            self.count("extract_failed")
            self.logger.warning("not a text page, skipped: %s", response.url)
            return
        article = extract_article(response.text, response.url)
        if not article.title:
            article.title = listed.get("title", "")
        if article.published is None and listed.get("published"):
            article.published = datetime.fromisoformat(listed["published"])
            article.date_source = "feed"
        if not article.title or not (article.text or article.lead):
            self.count("extract_failed")
            self.logger.warning("no title or text extracted, skipped: %s", response.url)
            return
        article.outlet = self.source.name
        self.count("articles_extracted")
        yield article.to_dict()
