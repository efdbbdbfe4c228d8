"""The address guard: only http(s), and only public addresses after name resolution."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from digest.fetch.netguard import PassedHosts, UnsafeURLError, check_url, is_public, needs_lookup


def resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"no such host {host}")
        return table[host]

    return resolve


NAMES = resolver(
    {
        "news.example": ["93.184.215.14"],
        "rebind.example": ["93.184.215.14", "10.0.0.7"],  # one private answer is enough to refuse
        "metadata.example": ["169.254.169.254"],
        "v6local.example": ["::1"],
        "mapped.example": ["::ffff:127.0.0.1"],
        "127.0.0.1": ["127.0.0.1"],
        "localhost": ["127.0.0.1", "::1"],
    }
)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fd00:ec2::254",
        "100.100.100.200",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public(address)


def test_public_addresses() -> None:
    assert is_public("93.184.215.14") and is_public("2606:2800:220:1:248:1893:25c8:1946")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("ftp://news.example/x", "only http and https"),
        ("http://metadata.example/latest/meta-data/", "169.254.169.254"),
        ("http://rebind.example/", "10.0.0.7"),
        ("http://v6local.example/", "::1"),
        ("http://mapped.example/", "::ffff:127.0.0.1"),
        ("http://localhost:8080/", "127.0.0.1"),
    ],
)
def test_refused(url: str, message: str) -> None:
    with pytest.raises(UnsafeURLError, match=message):
        check_url(url, resolver=NAMES)


def test_public_host_passes() -> None:
    assert check_url("https://news.example/a", resolver=NAMES) == ["93.184.215.14"]


def test_allowed_host_is_exact_host_and_port() -> None:
    allowed = ["127.0.0.1:8080"]
    assert check_url("http://127.0.0.1:8080/feed", allowed_hosts=allowed, resolver=NAMES) == []
    with pytest.raises(UnsafeURLError):  # same machine, other port
        check_url("http://127.0.0.1:8081/feed", allowed_hosts=allowed, resolver=NAMES)
    with pytest.raises(UnsafeURLError):  # same address, reached through a name
        check_url("http://localhost:8080/feed", allowed_hosts=allowed, resolver=NAMES)


def test_allow_private_lets_everything_http_through() -> None:
    assert check_url("http://localhost/", allow_private=True, resolver=NAMES) == []
    with pytest.raises(UnsafeURLError):
        check_url("file:///etc/passwd", allow_private=True, resolver=NAMES)


def test_lookup_needed_only_when_the_address_decides() -> None:
    allowed = frozenset({"127.0.0.1:8080"})
    assert not needs_lookup("127.0.0.1", 8080, allowed_hosts=allowed)
    assert needs_lookup("127.0.0.1", 8081, allowed_hosts=allowed)
    assert needs_lookup("news.example", 443, allowed_hosts=allowed)
    assert not needs_lookup("news.example", 443, allow_private=True)


def test_a_passed_host_is_not_looked_up_again_for_a_while() -> None:
    now = [1000.0]
    passed = PassedHosts(60.0, clock=lambda: now[0])
    assert ("news.example", 443) not in passed
    passed.add("news.example", 443)
    assert ("news.example", 443) in passed
    assert ("news.example", 80) not in passed  # another port is another check
    now[0] += 59.9
    assert ("news.example", 443) in passed
    now[0] += 0.2  # a minute on: looked up again (its address may have changed)
    assert ("news.example", 443) not in passed
