"""Scrapy's caching DNS resolver, refusing names that resolve to non-public addresses, and
remembering names that did not resolve (`digest.fetch.netguard.UNRESOLVED`) for the crawl.

The address guard middleware resolves a host before the request; Twisted resolves it again to
connect. A hostile DNS server could answer a public address the first time and 127.0.0.1 the
second (DNS rebinding). Checking here, on the very answer the connection uses, closes that gap.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred, fail
from twisted.internet.error import DNSLookupError

from digest.config import load_config
from digest.fetch.netguard import UNRESOLVED, is_public

log = logging.getLogger(__name__)


def allowed_names(entries: Sequence[str]) -> frozenset[str]:
    """Host names of `CKMON_ALLOWED_HOSTS` entries (`host:port`, `[v6]:port` or a bare host)."""
    names = set()
    for entry in entries:
        host = entry.strip()
        if host.startswith("["):
            host = host[1:].split("]", 1)[0]
        elif host.count(":") == 1:
            host = host.rsplit(":", 1)[0]
        if host:
            names.add(host.lower())
    return frozenset(names)


class GuardedResolver(CachingThreadedResolver):
    def __init__(
        self,
        reactor: Any,
        cache_size: int,
        timeout: float,
        *,
        allow_private: bool = False,
        allowed: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.allow_private = allow_private
        self.allowed = allowed

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        # The resolver is built from the process settings, before ckmon.toml reaches each crawler
        # through the add-on: read the same file here.
        settings = crawler.settings
        config = load_config(settings.get("CKMON_CONFIG") or None)
        hosts = settings.getlist("CKMON_ALLOWED_HOSTS") or config.scrapy.get(
            "CKMON_ALLOWED_HOSTS", []
        )
        return cls(
            reactor,
            settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0,
            settings.getfloat("DNS_TIMEOUT"),
            allow_private=settings.getbool("CKMON_ALLOW_PRIVATE_ADDRESSES")
            or config.crawl.allow_private_addresses,
            allowed=allowed_names(hosts),
        )

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        if (why := UNRESOLVED.why(name)) is not None:
            return fail(DNSLookupError(f"{name}: {why} (not looked up again in this crawl)"))
        answer = super().getHostByName(name, timeout)
        answer.addErrback(self._remember_failure, name)
        if not self.allow_private and name.lower() not in self.allowed:
            answer.addCallback(self._public_only, name)
        return answer

    @staticmethod
    def _remember_failure(failure: Any, name: str) -> Any:
        if failure.check(DNSLookupError):
            log.info("%s did not resolve: its other requests in this crawl fail at once", name)
            UNRESOLVED.add(name, failure.getErrorMessage())
        return failure

    @staticmethod
    def _public_only(address: str, name: str) -> str:
        if not is_public(address):
            # Twisted reports any lookup error as "no results": say here why it failed.
            log.warning("refused %s: resolves to non-public address %s", name, address)
            raise DNSLookupError(f"{name} resolves to non-public address {address}: refused")
        return address
