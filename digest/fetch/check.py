"""`ckmon check --live`: fetch every outlet's discovery URLs once and say what works.

Feed and sitemap addresses in the registry could not all be verified when written; this is how a
user finds out. One request at a time, the crawler's User-Agent, robots.txt and address guard.
Each fetch has a total deadline (redirects and body included) and so has the whole check, so a
server that drips its answer a byte at a time costs a known time, not for ever.
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from digest.deadline import Deadline, DeadlineExceeded, connect
from digest.fetch.aggregator_feeds import parse_gdelt
from digest.fetch.feed_xml import read_feed
from digest.fetch.netguard import UnsafeURLError, check_url
from digest.fetch.sitemap_xml import parse_sitemap
from digest.fetch.sources import Source, host_delays

MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class UrlCheck:
    outlet: str
    url: str
    method: str  # feed | sitemap | listing | gnews | gdelt
    ok: bool
    detail: str


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def __init__(self, guard: Callable[[str], Any]) -> None:
        self.guard = guard

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        self.guard(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Http(http.client.HTTPConnection):
    """http.client's connection, watched by the current `Deadline`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = connect  # http.client's hook for opening the socket


class _Https(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = connect


class _HttpHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_Http, req)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_Https, req, context=self._context)


class Fetcher:
    """Plain sequential GETs with the crawler's safety rules, each within `timeout` seconds in
    all, and all of them within `total` seconds from the first."""

    def __init__(
        self,
        user_agent: str,
        *,
        allow_private: bool = False,
        allowed_hosts: tuple[str, ...] = (),
        timeout: float = 30.0,
        total: float | None = None,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.total = total
        self._end: float | None = None
        self.guard = lambda url: check_url(
            url, allow_private=allow_private, allowed_hosts=allowed_hosts
        )
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            _HttpHandler(),
            _HttpsHandler(),
            _GuardedRedirects(self.guard),
        )
        self.robots: dict[str, urllib.robotparser.RobotFileParser] = {}

    def time_left(self) -> float:
        """Seconds left of the `total` budget (which starts with the first call)."""
        if self.total is None:
            return float("inf")
        if self._end is None:
            self._end = time.monotonic() + self.total
        return max(0.0, self._end - time.monotonic())

    def get(self, url: str) -> tuple[int, str, bytes]:
        """(status, content type, body up to MAX_BYTES); raises on network errors and refusals,
        and `DeadlineExceeded` when the answer is not complete in time."""
        self.guard(url)
        left = self.time_left()
        if left <= 0:
            raise DeadlineExceeded(f"not fetched: the check's {self.total:g} s ran out")
        seconds = min(self.timeout, left)
        request = urllib.request.Request(
            url, headers={"User-Agent": self.user_agent, "Accept-Encoding": "identity"}
        )
        with Deadline(seconds) as deadline:
            try:
                with self.opener.open(request, timeout=seconds) as answer:
                    got = (
                        answer.status,
                        answer.headers.get("Content-Type", ""),
                        answer.read(MAX_BYTES),
                    )
            except urllib.error.HTTPError as exc:
                got = exc.code, exc.headers.get("Content-Type", ""), b""
            except (OSError, http.client.HTTPException) as exc:
                if deadline.fired:
                    raise DeadlineExceeded(_late(seconds, self.timeout)) from exc
                raise
        if deadline.fired:  # the body may have been cut short when the sockets were shut
            raise DeadlineExceeded(_late(seconds, self.timeout))
        return got

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self.robots:
            parser = urllib.robotparser.RobotFileParser()
            try:
                status, _, body = self.get(root + "/robots.txt")
            except (OSError, UnsafeURLError):
                status, body = 404, b""
            if status >= 400:
                parser.allow_all = True
            else:
                parser.parse(body.decode("utf-8", errors="replace").splitlines())
            self.robots[root] = parser
        return self.robots[root].can_fetch(self.user_agent, url)


def _late(seconds: float, timeout: float) -> str:
    limit = "--timeout" if seconds >= timeout else "the time left of --max-time"
    return f"no complete answer within {seconds:.3g} s ({limit})"


def _targets(source: Source) -> Iterator[tuple[str, str, str]]:
    """(method, url, listing pattern) for every discovery URL of `source`."""
    if source.kind in ("gnews", "gdelt"):
        for url in source.discovery_urls:
            yield source.kind, url, ""
        return
    for url in source.feeds:
        yield "feed", url, ""
    for url in source.sitemaps:
        yield "sitemap", url, ""
    for listing in source.listings:
        yield "listing", listing.url, listing.pattern


def describe(method: str, url: str, body: bytes, pattern: str) -> tuple[bool, str]:
    """Whether the body is usable for `method`, and what was found in it."""
    if method in ("feed", "gnews"):
        entries = read_feed(body, url).entries
        return bool(entries), f"{len(entries)} entries"
    if method == "sitemap":
        try:
            entries = parse_sitemap(body)
        except (ValueError, SyntaxError) as exc:
            return False, f"not a sitemap: {exc}"
        kind = "child sitemaps" if entries and entries[0].is_index else "URLs"
        return bool(entries), f"{len(entries)} {kind}"
    if method == "gdelt":
        try:
            found = parse_gdelt(body)
        except ValueError as exc:
            return False, str(exc)
        return True, f"{len(found)} articles"
    soup = BeautifulSoup(body, "lxml")
    links = {urljoin(url, a["href"]) for a in soup.find_all("a", href=True)}
    matching = [link for link in links if re.search(pattern, link)]
    return bool(matching), f"{len(matching)} article links of {len(links)}"


def check_sources(
    sources: list[Source],
    fetcher: Fetcher,
    *,
    delay: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[UrlCheck]:
    """Fetch each discovery URL once, politely, and judge what came back: `delay` seconds apart
    on one host, or longer where an outlet asks it for its discovery hosts (a search API's limit),
    as the crawl's per-host gate does."""
    least = host_delays(sources)
    last: dict[str, float] = {}  # host -> when it was last asked
    for source in sources:
        for method, url, pattern in _targets(source):
            host = urlsplit(url).hostname or ""
            if host in last:
                wait = last[host] + max(delay, least.get(host, 0.0)) - clock()
                if wait > 0:
                    sleep(wait)
            last[host] = clock()
            if fetcher.time_left() <= 0:
                done = f"not checked: the check's {fetcher.total:g} s (--max-time) ran out"
                yield UrlCheck(source.name, url, method, False, done)
                continue
            try:
                if not fetcher.allowed(url):
                    yield UrlCheck(source.name, url, method, False, "disallowed by robots.txt")
                    continue
                status, ctype, body = fetcher.get(url)
            except UnsafeURLError as exc:
                yield UrlCheck(source.name, url, method, False, f"refused: {exc}")
                continue
            except DeadlineExceeded as exc:
                yield UrlCheck(source.name, url, method, False, f"too slow: {exc}")
                continue
            except (OSError, ValueError, http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", exc)
                yield UrlCheck(source.name, url, method, False, f"unreachable: {reason}")
                continue
            if status != 200:
                yield UrlCheck(source.name, url, method, False, f"HTTP {status}")
                continue
            ok, detail = describe(method, url, body, pattern)
            ctype = ctype.split(";")[0] or "no content type"
            yield UrlCheck(source.name, url, method, ok, f"HTTP 200, {ctype}, {detail}")
