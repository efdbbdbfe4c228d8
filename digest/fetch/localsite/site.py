"""What the one loopback server serves and how it misbehaves: every behaviour is an option of `Site`,
so tests, the demo and the benchmarks configure one server instead of writing handlers."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

BOMB_SIZE = 32 * 1024 * 1024  # decompressed; a few tens of kB on the wire


@dataclass(frozen=True)
class Answer:
    """A fixed answer. `body` may be a function, called (once) when first asked: a bomb is built
    only by the tests that ask for it."""

    status: int
    body: bytes | Callable[[], bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)

    def data(self) -> bytes:
        return self.body() if callable(self.body) else self.body


@cache
def _bomb(prefix: bytes) -> bytes:
    return gzip.compress(prefix + b" " * BOMB_SIZE, compresslevel=9)


def bomb(prefix: bytes, headers: dict[str, str]) -> Answer:
    """A gzip bomb: `prefix` and BOMB_SIZE spaces, compressed to a few tens of kB."""
    return Answer(200, lambda: _bomb(prefix), headers)


@dataclass
class Hold:
    """Pages whose path starts with `prefix` are sent one at a time, and those after the first
    `after` wait for `release()`: a test stops a crawl with a request known to be in flight."""

    prefix: str
    after: int | None = None
    served: list[str] = field(default_factory=list)  # held pages sent in full ("/path")
    held: list[str] = field(default_factory=list)  # pages waiting for `release` ("/path")
    released: threading.Event = field(default_factory=threading.Event)
    one_at_a_time: threading.Lock = field(default_factory=threading.Lock)

    def release(self) -> None:
        """Answer the held requests, and every later one, at once."""
        self.released.set()


@dataclass
class Site:
    """The options of one loopback server. Paths are without the leading slash.

    Content: files under `root` (a missing `x` may be served as `x` + one of `try_suffixes`), and
    `pages` held in memory (they win over files), both with `{BASE}` replaced by the serving port's
    address, the `substitutions` applied (pattern -> function of (match, base)) and, if `dates`,
    `{{ago:...}}` rendered (`render_dates`) relative to the server's start. `types` maps a suffix
    to its Content-Type. `generated`: regular expression -> page template; `{n}` in the template
    is the first group of the match.

    Behaviours: `keep_alive` (HTTP/1.1); `conditional` (ETag and Last-Modified, 304 to a matching
    If-None-Match, and with `modified_since` to a matching If-Modified-Since too); `gzip` (bodies
    other than .html compressed when the client accepts it); `pause` seconds before every answer,
    `delays` per path; `down` paths answer 503 for as long as they are in the set; `answers`:
    fixed answers by path (bombs, binary bodies); `first`: the answer to the first request of a
    path on each port (429 with Retry-After, 503), later ones served normally; `aliases`: path ->
    path served instead; `redirects`: path prefix -> Location (`{BASE}`, `{PORT}` and `{REST}`,
    the rest of the path, filled in), sent with 302; `trickle`: path -> seconds between the bytes
    of its body; `declared`: /declared/<charset>/<path> serves <path> with that charset in the
    header; `hold`: see `Hold`; `ports`: how many ports serve the same site.
    """

    root: Path | None = None
    pages: dict[str, bytes] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    try_suffixes: tuple[str, ...] = ()
    dates: bool = True
    substitutions: dict[bytes, Callable[[bytes, str], bytes]] = field(default_factory=dict)
    generated: dict[str, str] = field(default_factory=dict)
    keep_alive: bool = False
    conditional: bool = False
    modified_since: bool = False
    last_modified: str = "{{ago:2d}}"
    gzip: bool = False
    pause: float = 0.0
    delays: dict[str, float] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)
    answers: dict[str, Answer] = field(default_factory=dict)
    first: dict[str, Answer] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    trickle: dict[str, float] = field(default_factory=dict)
    declared: bool = False
    hold: Hold | None = None
    ports: int = 1
