"""What every spider kind shares: the `since` bound, article parsing, failure accounting."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from digest.analysis.extract import extract_article
from digest.analysis.urls import link_problem
from digest.fetch.bounds import CAPS, newest
from digest.fetch.pagetext import looks_binary, page_text
from digest.fetch.sources import Source

T = TypeVar("T")


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
        self._since = parse_since(since)
        self.discovery_errors: list[str] = []

    @property
    def since(self) -> datetime | None:
        """`-a since=`, else `CKMON_BACKFILL_DAYS` back from the first time it is asked for.

        Read late, not in `from_crawler`: Scrapy makes the spider before it applies the add-on's
        settings, where `[crawl] backfill_days` of ckmon.toml comes in."""
        if self._since is None and getattr(self, "crawler", None) is not None:
            days = self.crawler.settings.getint("CKMON_BACKFILL_DAYS", 14)
            self._since = datetime.now(UTC) - timedelta(days=days)
        return self._since

    def count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"ckmon/{key}", n)

    async def start(self) -> AsyncIterator[Request]:
        for request in self.discovery_requests():
            yield request

    def discovery_requests(self) -> Iterator[Request]:
        """The first requests of a crawl: feeds, sitemaps, listings, searches."""
        raise NotImplementedError

    def discovery_request(self, url: str, callback: Any, **meta: Any) -> Request:
        """A feed/sitemap/listing request: conditional GET applies, and a 304 reaches `callback`."""
        return Request(
            url,
            callback=callback,
            errback=self.discovery_failed,
            meta={"ckmon_discovery": True, "handle_httpstatus_list": [304], **meta},
        )

    def article_link(self, response: Response, url: str) -> str | None:
        """The absolute address of an article link, or None (logged and counted) when it is none
        to request: not http(s) (javascript:, mailto:, file:, data: ...), or malformed (a port
        out of range, a space or "%" in the host, an unclosed IPv6 bracket). One bad link never
        costs the others."""
        try:
            absolute = response.urljoin(url.strip())
        except ValueError as exc:  # urljoin raises on "http://[::1"
            absolute, problem = url.strip(), str(exc)
        else:
            if urlsplit(absolute).scheme.lower() not in ("http", "https"):
                self.count("link_refused_scheme")
                self.logger.warning(
                    "refused non-http(s) link %r in %s", absolute[:200], response.url
                )
                return None
            problem = link_problem(absolute)
        if problem:
            self.count("link_malformed")
            self.logger.warning(
                "malformed link skipped (%s): %r in %s", problem, absolute[:200], response.url
            )
            return None
        return absolute

    def follow_article(
        self, response: Response, url: str, listed: dict[str, Any], callback: Any = None
    ) -> Iterator[Request]:
        """The request for an article link, unless `article_link` refuses it."""
        absolute = self.article_link(response, url)
        if absolute is not None:
            yield self.article_request(response, absolute, listed, callback)

    def article_request(
        self, response: Response, url: str, listed: dict[str, Any], callback: Any = None
    ) -> Request:
        """An article page request; the seen-URL middleware drops it if the article is stored."""
        return response.follow(
            url,
            encoding="utf-8",  # not the feed's: a UTF-16 feed would encode the headers in UTF-16
            callback=callback or self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"listed": listed},
            meta={"ckmon_article": True},
        )

    def capped(
        self,
        kind: str,
        items: Sequence[T],
        url: str,
        when: Callable[[T], datetime | None] = lambda _: None,
    ) -> list[T]:
        """The entries of one discovery document that may go on, by the cap of its `kind`
        (`digest.fetch.bounds`); those left out are counted and logged."""
        cap = CAPS[kind]
        limit = self.crawler.settings.getint(cap.setting, cap.default)
        kept, over = newest(items, limit, when)
        if over:
            self.count("entries_over_limit", over)
            self.count(f"entries_over_limit/{kind}", over)
            order = "newest" if any(when(item) for item in items) else "first"
            self.logger.warning(
                "%s has %d entries, over %s: the %s %d are read: %s",
                kind.replace("_", " "),
                len(items),
                cap.setting,
                order,
                limit,
                url,
            )
        return kept

    def unchanged(self, response: Response) -> bool:
        """True (and counted) when a discovery URL answered 304 Not Modified."""
        self.count("discovery_ok")
        if response.status == 304:
            self.count("not_modified")
            self.logger.info("not modified since last crawl: %s", response.url)
            return True
        return False

    def too_old(self, when: datetime | None) -> bool:
        if when is not None and self.since is not None and when < self.since:
            self.count("entry_too_old")
            return True
        return False

    def discovery_failed(self, failure: Failure) -> None:
        """A feed (or sitemap, listing) could not be fetched: the outlet may be unreachable."""
        request = failure.request  # type: ignore[attr-defined]
        reason = failure.getErrorMessage() or failure.type.__name__
        self.discovery_errors.append(f"{request.url}: {reason}")
        self.count("discovery_failed")
        # A warning: the outlet's own line reports a failed outlet (the log keeps every URL).
        self.logger.warning("discovery URL failed: %s: %s", request.url, reason)

    def article_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if request.meta.get("ckmon_skip"):  # stored already, or refused: counted where decided
            return
        status = failure.value.response.status if failure.check(HttpError) else None
        if status is not None and _transient(status):
            # 5xx or 429 after the retries: the feed is read whole next run and the page asked again
            self.count("article_fetch_failed")
            self.logger.warning("article fetch failed: %s: HTTP %d", request.url, status)
            return
        if failure.check(IgnoreRequest):  # robots.txt, size limits, a compressed bomb, 404
            self.count("article_dropped")
            self.logger.warning("article dropped: %s: %s", request.url, failure.getErrorMessage())
            return
        self.count("article_fetch_failed")
        self.logger.warning("article fetch failed: %s: %s", request.url, failure.getErrorMessage())

    def parse_article(
        self, response: Response, listed: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Extract one article; feed data fills what the page lacks."""
        listed = listed or {}
        if not response.body.strip():
            self.count("extract_failed")
            self.count("article_empty")
            self.logger.warning("empty page, skipped: %s", response.url)
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        readable = isinstance(response, TextResponse)
        page = page_text(response.body, content_type or None) if readable else None
        if page is None or looks_binary(page.text):
            self.count("extract_failed")
            self.count("article_not_text")
            self.logger.warning(
                "not a text page (%s), skipped: %s", content_type or "unknown type", response.url
            )
            return
        if page.corrected:
            self.count("charset_corrected")
            self.logger.info(
                "declared charset %s does not fit the page, read as %s: %s",
                page.corrected,
                page.encoding,
                response.url,
            )
        html = page.text
        article = extract_article(
            html,
            response.url,
            self.source.selectors or None,
            fallback_published=(
                datetime.fromisoformat(listed["published"]) if listed.get("published") else None
            ),
            fallback_source=listed.get("via", "feed"),
        )
        if not article.title:
            article.title = listed.get("title", "")
        if not article.title or not (article.text or article.lead):
            self.count("extract_failed")
            self.logger.warning("no title or text extracted, skipped: %s", response.url)
            return
        article.outlet = self.source.name
        self.count("articles_extracted")
        yield article.to_dict()


def _transient(status: int) -> bool:
    """An answer that may be different next time: a server error or a rate limit."""
    return status >= 500 or status == 429
