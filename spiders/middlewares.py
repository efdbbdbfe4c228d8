"""Downloader middlewares: thin wrappers over plain functions in `digest/`.

Order (request side): address guard 40 → seen-URL skip 45 → robots.txt 100 → … → retry 550 →
conditional GET 800 → WARC recorder 955 → WARC replay 960 (answers instead of the network) →
host gate 970 (last before the network).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    IgnoreRequest,
    NotConfigured,
)
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet import threads
from twisted.internet.defer import DeferredSemaphore
from twisted.internet.error import DNSLookupError
from twisted.internet.task import deferLater

from digest.fetch import warc
from digest.fetch.backoff import backoff_delay, retry_after_seconds
from digest.fetch.failures import lost_cause, store_cause
from digest.fetch.fetchstate import conditional_headers, remember
from digest.fetch.netguard import (
    UNRESOLVED,
    PassedHosts,
    UnsafeURLError,
    check_url,
    host_port,
    needs_lookup,
)
from digest.fetch.seen import is_stored
from digest.fetch.sources import host_delays
from digest.store.engine import make_engine, make_sessionmaker, utcnow

log = logging.getLogger(__name__)
_UNRESOLVED = (CannotResolveHostError, DNSLookupError)


def _inc(crawler: Crawler, key: str) -> None:
    if crawler.stats is not None:
        crawler.stats.inc_value(key)


class AddressGuardMiddleware:
    """Refuses non-http(s) URLs, and hosts that resolve to private, loopback, link-local or
    metadata addresses, for every request including redirects and robots.txt. A host that passed
    is not looked up again for a minute (`PassedHosts`); `spiders.resolver.GuardedResolver` checks
    the address of every connection all the same (DNS rebinding).

    `CKMON_ALLOW_PRIVATE_ADDRESSES` lets everything through; `CKMON_ALLOWED_HOSTS` lists
    `host:port` pairs let through as written (a local test server) while the guard stays on.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.allow_private = settings.getbool("CKMON_ALLOW_PRIVATE_ADDRESSES")
        self.allowed_hosts = frozenset(settings.getlist("CKMON_ALLOWED_HOSTS"))
        self.replaying = bool(settings.get("CKMON_REPLAY"))
        self.passed = PassedHosts()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        try:
            host, port = host_port(request.url)  # the scheme, checked on every request
            if self.replaying:  # nothing leaves the machine: only the scheme matters
                return
            if (why := UNRESOLVED.why(host)) is not None:
                # Failed to resolve earlier in this crawl: fail now, before the host's delay and
                # the download slot's, not after them (offline, a search outlet's ten queries).
                raise DNSLookupError(f"{host}: {why} (not looked up again in this crawl)")
            if not needs_lookup(
                host, port, allow_private=self.allow_private, allowed_hosts=self.allowed_hosts
            ):
                return
            if (host, port) in self.passed:
                return
            # Name resolution blocks: in a thread, not in the reactor.
            await maybe_deferred_to_future(
                threads.deferToThread(
                    check_url,
                    request.url,
                    allow_private=self.allow_private,
                    allowed_hosts=self.allowed_hosts,
                )
            )
            self.passed.add(host, port)
        except UnsafeURLError as exc:
            _inc(self.crawler, "ckmon/refused_address")
            request.meta["ckmon_skip"] = "refused"
            log.warning("refused %s: %s", request.url, exc)
            raise IgnoreRequest(f"refused {request.url}: {exc}") from exc


class SeenUrlMiddleware:
    """Drops article requests whose URL is already stored, before anything is fetched."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.engine = make_engine(crawler.settings["CKMON_DATABASE_URL"])

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeenUrlMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not request.meta.get("ckmon_article"):
            return
        with self.engine.connect() as connection:  # one indexed query, no ORM session
            stored = is_stored(connection, request.url)
        if stored:
            _inc(self.crawler, "ckmon/skipped_seen")
            request.meta["ckmon_skip"] = "seen"
            raise IgnoreRequest(f"already stored: {request.url}")


class ConditionalGetMiddleware:
    """ETag / Last-Modified for discovery URLs; a full fetch every `CKMON_FULL_FETCH_DAYS`."""

    def __init__(self, crawler: Crawler) -> None:
        from datetime import timedelta

        self.crawler = crawler
        self.sessions = make_sessionmaker(crawler.settings["CKMON_DATABASE_URL"])
        self.full_every = timedelta(days=crawler.settings.getfloat("CKMON_FULL_FETCH_DAYS", 7))
        self.pending: dict[str, tuple[str, str, bool]] = {}
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not request.meta.get("ckmon_discovery") or "ckmon_conditional" in request.meta:
            return
        with self.sessions() as session:
            headers = conditional_headers(session, request.url, utcnow(), self.full_every)
        request.meta["ckmon_conditional"] = bool(headers)
        for name, value in headers.items():
            request.headers.setdefault(name, value)

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("ckmon_discovery") and response.status == 200:
            etag = response.headers.get("ETag", b"").decode("latin-1")
            modified = response.headers.get("Last-Modified", b"").decode("latin-1")
            if etag or modified:  # kept until the crawl ends well: see spider_closed
                self.pending[request.url] = (
                    etag,
                    modified,
                    not request.meta.get("ckmon_conditional"),
                )
        return response

    def spider_closed(self, reason: str) -> None:
        """Save the validators only when the outlet's crawl finished, no article fetch failed and
        nothing was lost (a store that refused a write, an error in ckmon's code).

        Saved earlier, a crash or a failed fetch after the feed was read would make the next run
        get 304 Not Modified and never ask for the articles that were not stored.
        """
        if not self.pending:
            return
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        failed = stats.get("ckmon/article_fetch_failed", 0)
        lost = lost_cause(stats, reason)
        if reason != "finished" or failed or lost:
            log.info(
                "validators of %d discovery URL(s) not saved (%s): the next run fetches them whole",
                len(self.pending),
                lost
                or (
                    f"closed: {reason}"
                    if reason != "finished"
                    else f"{failed} article fetches failed"
                ),
            )
            return
        now = utcnow()
        try:
            with self.sessions() as session:
                for url, (etag, modified, full) in self.pending.items():
                    remember(session, url, etag=etag, last_modified=modified, full=full, now=now)
        except SQLAlchemyError as exc:  # not saved: the next run fetches them whole, no loss
            log.error("store failed, feed validators not saved: %s", store_cause(exc))
        self.pending.clear()


class RedirectLoopMiddleware:
    """A redirect back to an address already visited on the way is a loop: dropped, logged and
    counted at once (left alone, Scrapy's duplicate filter drops it silently)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLoopMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        visited = [*request.meta.get("redirect_urls", []), request.url]
        if target in visited:
            _inc(self.crawler, "ckmon/redirect_loop")
            log.warning("redirect loop: %s", " -> ".join([*visited, target]))
            raise IgnoreRequest(f"redirect loop back to {target}")
        return response


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, waiting first: Retry-After when the server sends it (429, 503), else
    exponential backoff from `CKMON_RETRY_BACKOFF` seconds. A Retry-After beyond
    `CKMON_RETRY_AFTER_MAX` seconds means giving up for this run."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("CKMON_RETRY_BACKOFF", 2.0)
        self.max_wait = settings.getfloat("CKMON_RETRY_AFTER_MAX", 120.0)

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        # A name that does not resolve will not resolve a second later: no retry, so an offline
        # run or a dead domain fails its outlet at once.
        if isinstance(exception, _UNRESOLVED):
            _inc(self.crawler, "ckmon/dns_failed")
            return None
        return super().process_exception(request, exception)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        attempt = request.meta.get("retry_times", 0)
        if attempt >= request.meta.get("max_retry_times", self.max_retry_times):
            return self._retry(request, f"HTTP {response.status}") or response  # logs give-up
        header = response.headers.get("Retry-After", b"").decode("latin-1")
        delay = retry_after_seconds(header, utcnow()) if header else None
        if delay is None:
            delay = backoff_delay(attempt, self.backoff, self.max_wait)
        elif delay > self.max_wait:
            _inc(self.crawler, "ckmon/retry_after_too_long")
            log.warning("%s asks to retry after %.0fs: not this run", request.url, delay)
            return response
        _inc(self.crawler, "ckmon/retry_waited")
        log.info("HTTP %s from %s: retrying in %.1fs", response.status, request.url, delay)
        from twisted.internet import reactor

        await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        return self._retry(request, f"HTTP {response.status}") or response


def _header_pairs(headers: Headers) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


class WarcRecorderMiddleware:
    """`CKMON_RECORD=FILE.warc.gz`: every fetched response, as received, appended to a WARC."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecorderMiddleware:
        path = crawler.settings.get("CKMON_RECORD")
        if not path:
            raise NotConfigured  # no message: being off is the normal case, not a warning
        return cls(Path(path))

    def process_response(self, request: Request, response: Response) -> Response:
        if "replayed" not in response.flags:
            warc.append(
                self.path,
                request.url,
                response.status,
                _header_pairs(response.headers),
                response.body,
            )
        return response


class WarcReplayMiddleware:
    """`CKMON_REPLAY=FILE.warc.gz`: every request answered from the archive; unknown URLs get 404."""

    def __init__(self, archive: dict[str, warc.Recorded]) -> None:
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcReplayMiddleware:
        path = crawler.settings.get("CKMON_REPLAY")
        if not path:
            raise NotConfigured  # no message: being off is the normal case, not a warning
        return cls(warc.load(Path(path)))

    def process_request(self, request: Request) -> Response:
        recorded = self.archive.get(request.url)
        if recorded is None:
            return Response(request.url, status=404, request=request, flags=["replayed"])
        headers = Headers(recorded.headers)
        cls = responsetypes.from_args(headers=headers, url=request.url, body=recorded.body)
        return cls(
            url=request.url,
            status=recorded.status,
            headers=headers,
            body=recorded.body,
            request=request,
            flags=["replayed"],
        )


class _Gate:
    def __init__(self, tokens: int) -> None:
        self.semaphore = DeferredSemaphore(tokens)
        self.delay = 0.0  # what an outlet asks for this host (`delay` in the registry)
        self.last_start = float("-inf")  # reactor seconds


# Per host, shared by every crawler of the process (one crawler per outlet).
_GATES: dict[str, _Gate] = {}
_NEVER_SENT = (CannotResolveHostError, DNSLookupError, DownloadConnectionRefusedError)


class HostGateMiddleware:
    """One request at a time per host (`CONCURRENT_REQUESTS_PER_DOMAIN`), `DOWNLOAD_DELAY` apart,
    across every outlet's crawler in this process. An outlet's `delay` in the registry is the
    least time between requests to the hosts of its discovery URLs (a search API's rate limit:
    GDELT asks for 5 s), for every crawler that reaches them.

    Scrapy applies both limits per crawler only, and each outlet is its own crawler: outlets that
    share a host (AKP in two languages, the Google News searches, GDELT) and aggregators that lead
    to a listed outlet's site would otherwise reach one server several at a time. After the WARC
    replay, so a replayed answer never waits. A token is held from here until the response: that
    includes any wait in the crawler's own download slot after this middleware (Scrapy's
    per-crawler delay and AutoThrottle), so the gate never lets two requests overlap.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.tokens = max(1, crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 1))
        self.delay = max(0.0, crawler.settings.getfloat("DOWNLOAD_DELAY", 0.0))
        source = getattr(crawler.spider, "source", None)
        for host, delay in host_delays([source] if source is not None else []).items():
            gate = self._gate(host)
            gate.delay = max(gate.delay, delay)

    def _gate(self, host: str) -> _Gate:
        gate = _GATES.get(host)
        if gate is None:
            gate = _GATES[host] = _Gate(self.tokens)
        return gate

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGateMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        from twisted.internet import reactor

        host = urlparse_cached(request).hostname or ""
        gate = self._gate(host)
        await maybe_deferred_to_future(gate.semaphore.acquire())
        try:
            # The start is booked before waiting for it, so requests holding the host's other
            # tokens (CONCURRENT_REQUESTS_PER_DOMAIN > 1) queue up behind it instead of all
            # waiting out the same delay and leaving together.
            now = reactor.seconds()  # type: ignore[attr-defined]
            start = max(now, gate.last_start + max(self.delay, gate.delay))
            request.meta["ckmon_gate_booked"] = (gate.last_start, start)
            gate.last_start = start
            if start > now:
                await maybe_deferred_to_future(deferLater(reactor, start - now, lambda: None))
        except BaseException:
            gate.semaphore.release()
            raise
        request.meta["ckmon_gate"] = host  # a string: retried requests may be serialized

    def _release(self, request: Request) -> None:
        host = request.meta.pop("ckmon_gate", None)
        if host is not None:
            _GATES[host].semaphore.release()

    def process_response(self, request: Request, response: Response) -> Response:
        request.meta.pop("ckmon_gate_booked", None)
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        # A request that never reached the host (its name did not resolve, or nothing listened)
        # does not count against its delay: offline, GDELT's 5 s would otherwise space every
        # failed attempt and retry.
        booked = request.meta.pop("ckmon_gate_booked", None)
        host = request.meta.get("ckmon_gate")
        if booked is not None and host is not None and isinstance(exception, _NEVER_SENT):
            gate = _GATES[host]
            if gate.last_start == booked[1]:  # nothing booked after it
                gate.last_start = booked[0]
        self._release(request)
