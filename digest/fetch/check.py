"""`ckmon check --live`: fetch every outlet's discovery URLs once and say what works.

Feed and sitemap addresses in the registry could not all be verified when written; this is how a
user finds out. One request at a time, the crawler's User-Agent, robots.txt and address guard.
"""

from __future__ import annotations

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


class Fetcher:
    """Plain sequential GETs with the crawler's safety rules."""

    def __init__(
        self,
        user_agent: str,
        *,
        allow_private: bool = False,
        allowed_hosts: tuple[str, ...] = (),
        timeout: float = 30.0,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.guard = lambda url: check_url(
            url, allow_private=allow_private, allowed_hosts=allowed_hosts
        )
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), _GuardedRedirects(self.guard)
        )
        self.robots: dict[str, urllib.robotparser.RobotFileParser] = {}

    def get(self, url: str) -> tuple[int, str, bytes]:
        """(status, content type, body up to MAX_BYTES); raises on network errors and refusals."""
        self.guard(url)
        request = urllib.request.Request(
            url, headers={"User-Agent": self.user_agent, "Accept-Encoding": "identity"}
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                return answer.status, answer.headers.get("Content-Type", ""), answer.read(MAX_BYTES)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Content-Type", ""), b""

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
            try:
                if not fetcher.allowed(url):
                    yield UrlCheck(source.name, url, method, False, "disallowed by robots.txt")
                    continue
                status, ctype, body = fetcher.get(url)
            except UnsafeURLError as exc:
                yield UrlCheck(source.name, url, method, False, f"refused: {exc}")
                continue
            except (OSError, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                yield UrlCheck(source.name, url, method, False, f"unreachable: {reason}")
                continue
            if status != 200:
                yield UrlCheck(source.name, url, method, False, f"HTTP {status}")
                continue
            ok, detail = describe(method, url, body, pattern)
            ctype = ctype.split(";")[0] or "no content type"
            yield UrlCheck(source.name, url, method, ok, f"HTTP 200, {ctype}, {detail}")
