"""A guard for tests of parsing code: any attempt to open a network connection is recorded and
refused, so a library that fetches what a page names (htmldate, feedparser given a URL) fails the
test instead of reaching a server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn


@contextmanager
def refused_connections() -> Iterator[list[str]]:
    """Patch name resolution and every way of connecting a socket; yields what was attempted.

    Only connecting is refused: a loopback server already listening in this process still serves
    (a child process's requests), so the same test may also count that server's hits.
    """
    attempts: list[str] = []

    def refuse(what: str, target: Any) -> NoReturn:
        attempts.append(f"{what} {target!r}"[:300])
        raise OSError(f"test guard: no network while parsing ({what} {target!r})")

    saved = (
        socket.getaddrinfo,
        socket.create_connection,
        socket.socket.connect,
        socket.socket.connect_ex,
    )
    socket.getaddrinfo = lambda host, *a, **k: refuse("getaddrinfo", host)  # type: ignore[assignment]
    socket.create_connection = lambda address, *a, **k: refuse("create_connection", address)  # type: ignore[assignment]
    socket.socket.connect = lambda self, address: refuse("connect", address)  # type: ignore[method-assign]
    socket.socket.connect_ex = lambda self, address: refuse("connect_ex", address)  # type: ignore[method-assign]
    try:
        yield attempts
    finally:
        (
            socket.getaddrinfo,
            socket.create_connection,
            socket.socket.connect,
            socket.socket.connect_ex,
        ) = saved
