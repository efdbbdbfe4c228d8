"""Which addresses a crawl may reach: only http(s), and only public addresses after name resolution.

A feed is untrusted input: a link to 169.254.169.254 (cloud metadata), 127.0.0.1 or 10.x must not
turn the crawler against the machine it runs on or its network.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Collection, Iterable
from urllib.parse import urlsplit

from digest.errors import CkmonError

SCHEMES = ("http", "https")
# Metadata services that are not all in a non-global range on every cloud.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)

Resolver = Callable[[str, int], list[str]]


class UnsafeURLError(CkmonError):
    """A URL the crawler refuses to fetch (scheme or address)."""


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (a literal address resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def is_public(address: str) -> bool:
    """True for a globally routable unicast address that is no cloud metadata service."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and ip not in METADATA_ADDRESSES


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise UnsafeURLError(f"only http and https are fetched, not {parts.scheme or 'no'} scheme")
    if not parts.hostname:
        raise UnsafeURLError("URL without a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURLError(f"bad port: {exc}") from exc
    return parts.hostname.lower(), port


def needs_lookup(
    host: str, port: int, *, allow_private: bool = False, allowed_hosts: Collection[str] = ()
) -> bool:
    """Whether `check_url` must resolve `host` to decide: not when private addresses are allowed
    or `host:port` is let through as written. The caller can then skip the (threaded) lookup."""
    return not (allow_private or f"{host}:{port}" in allowed_hosts)


class UnresolvedHosts:
    """Names that did not resolve in this process (a crawl): asked again, they fail at once.

    Offline, or for a dead domain, every request of an outlet would otherwise wait for its own
    lookup (a resolver timeout each, twice over with the address guard's check)."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}

    def add(self, name: str, why: str) -> None:
        self._names.setdefault(name.lower(), why)

    def why(self, name: str) -> str | None:
        """The first failure of `name`, or None if it never failed."""
        return self._names.get(name.lower())

    def clear(self) -> None:
        self._names.clear()


UNRESOLVED = UnresolvedHosts()  # one per process, shared by the address guard and the resolver


class PassedHosts:
    """Hosts whose address check passed, remembered for `seconds`: a crawl then looks each host
    up once a minute instead of before every request. Refusals are not remembered."""

    def __init__(self, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self._until: dict[tuple[str, int], float] = {}

    def __contains__(self, host_and_port: tuple[str, int]) -> bool:
        return self._until.get(host_and_port, float("-inf")) > self.clock()

    def add(self, host: str, port: int) -> None:
        self._until[(host, port)] = self.clock() + self.seconds


def check_url(
    url: str,
    *,
    allow_private: bool = False,
    allowed_hosts: Iterable[str] = (),
    resolver: Resolver = resolve,
) -> list[str]:
    """Raise `UnsafeURLError` unless `url` may be fetched; returns the addresses checked.

    `allowed_hosts` are `host:port` pairs let through as written (a test server on loopback);
    everything else is resolved and every address it resolves to must be public.
    """
    host, port = host_port(url)
    if not needs_lookup(host, port, allow_private=allow_private, allowed_hosts=set(allowed_hosts)):
        return []
    if UNRESOLVED.why(host) is not None:
        return []  # failed before: the download fails at once with that error (GuardedResolver)
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        UNRESOLVED.add(host, str(exc))
        return []  # unresolvable: the download fails on its own, with the real DNS error
    refused = [a for a in addresses if not is_public(a)]
    if refused:
        raise UnsafeURLError(f"{host} resolves to non-public address {', '.join(refused)}")
    return addresses
