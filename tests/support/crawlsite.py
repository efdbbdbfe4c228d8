"""A loopback server for crawl tests: several outlets' feeds, sitemaps and pages under tests/sites,
with what real servers do: ETag/Last-Modified and 304, gzip, redirects, 429 with Retry-After, 503.

Placeholders in files: `{BASE}` (this server), `{GNEWS:/path}` (a Google News article link that
carries this server's /path, as old-style Google News RSS links carry the publisher's URL), and
`{{ago:...}}` (a date that long before the server started: `digest.fetch.localsite.render_dates`). The
dates under tests/sites were written as ages before `SITES_NOW`.
Special paths: /bomb.html and /herald/bomb-sitemap.xml.gz (gzip bombs), /go/<path> (302 to http://localhost:<port>/<path>),
/gdelt/api (429 with Retry-After: 1 on the first request), /asiadesk/edcf-loan.html (503 on the
first request). Paths given as `trickle` are a tarpit: their body is sent one byte at a time.

Also the sample registry of those outlets (`registry`), a guarded workspace that crawls it
(`workspace`) and the article pages such a crawl stores (`EXPECTED`); and an outlet no crawl can
reach (`DEAD_OUTLET`).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import select
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from digest.fetch.localsite import render_dates

SITES = Path(__file__).parents[1] / "sites"
# The moment the ages under tests/sites count back from when they were written (their dates then
# were 20-24 November 2026): a test reading a file directly renders it at this moment.
SITES_NOW = datetime(2026, 11, 25, tzinfo=UTC)
LAST_MODIFIED = b"{{ago:2d}}"  # the validators' date, rendered like the files
TYPES = {
    ".html": "text/html",  # no charset: pages declare theirs (EUC-KR, UTF-8) in a meta tag
    ".xml": "application/xml",
    ".rss": "application/rss+xml; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain",
}
BOMB_SIZE = 32 * 1024 * 1024  # decompressed; a few tens of kB on the wire


@dataclass
class Dripped:
    """One answer of a trickled path: when its body began, when each byte went out, and when the
    client hung up (monotonic seconds; None if it never did while the server ran)."""

    path: str
    started: float
    sent: list[float] = field(default_factory=list)
    hung_up: float | None = None


@dataclass
class SiteLog:
    """What the crawler asked for: (path with query, status answered), when (monotonic seconds,
    answer sent), when each request arrived (wall clock seconds, `time.time()`, comparable with
    what a crawl child records), with which User-Agent, and the most requests the server was ever
    answering at once."""

    hits: list[tuple[str, int]] = field(default_factory=list)
    times: list[tuple[str, float]] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    agents: set[str] = field(default_factory=set)
    busy: int = 0
    most_busy: int = 0
    drips: list[Dripped] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, status: int) -> None:
        with self.lock:
            self.hits.append((path, status))
            self.times.append((path, time.monotonic()))

    def started(self, agent: str) -> None:
        with self.lock:
            self.arrivals.append(time.time())
            self.agents.add(agent)
            self.busy += 1
            self.most_busy = max(self.most_busy, self.busy)

    def finished(self) -> None:
        with self.lock:
            self.busy -= 1

    def dripped(self, path: str) -> list[Dripped]:
        return [d for d in self.drips if d.path == path]

    def paths(self) -> list[str]:
        return [p for p, _ in self.hits]

    def clear(self) -> None:
        with self.lock:
            self.hits.clear()
            self.times.clear()
            self.arrivals.clear()
            self.agents.clear()
            self.most_busy = 0


def gnews_link(url: str) -> str:
    """An old-style Google News article link carrying `url` (protobuf field 4, base64url)."""
    raw = url.encode()
    payload = b"\x08\x13\x22" + bytes([len(raw)]) + raw + b"\xd2\x01\x00"
    token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"https://news.google.com/rss/articles/{token}?oc=5"


def _handler(
    root: Path,
    log: SiteLog,
    state: dict[str, int],
    pause: float,
    down: set[str],
    trickle: dict[str, float],
    stopping: threading.Event,
    now: datetime,
) -> type[BaseHTTPRequestHandler]:
    last_modified = render_dates(LAST_MODIFIED, now).decode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _base(self) -> str:
            host, port = self.server.server_address[:2]
            return f"http://{host}:{port}"

        def _send(
            self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
        ) -> None:
            log.add(self.path, status)
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            interval = trickle.get(urlsplit(self.path).path.lstrip("/"))
            if interval is None:
                self.wfile.write(body)
            else:
                self._drip(body, interval)

        def _drip(self, body: bytes, interval: float) -> None:
            """Send `body` one byte per `interval` until done or until the client hangs up."""
            self.wfile.flush()
            record = Dripped(urlsplit(self.path).path, time.monotonic())
            with log.lock:
                log.drips.append(record)
            self.close_connection = True
            for byte in body:
                if stopping.is_set():  # the server is shutting down
                    return
                readable, _, _ = select.select([self.connection], [], [], interval)
                try:
                    if readable and not self.connection.recv(1):  # end of input: the client left
                        record.hung_up = time.monotonic()
                        return
                    self.connection.sendall(bytes([byte]))
                except OSError:
                    record.hung_up = time.monotonic()
                    return
                record.sent.append(time.monotonic())

        def do_GET(self) -> None:
            log.started(self.headers.get("User-Agent", ""))
            try:
                time.sleep(pause)  # a server that takes its time: overlapping requests overlap
                self._answer()
            finally:
                log.finished()

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path.lstrip("/")
            if path == "bomb.html":
                body = gzip.compress(b"<html>" + b" " * BOMB_SIZE, compresslevel=9)
                self._send(200, body, {"Content-Type": "text/html", "Content-Encoding": "gzip"})
                return
            if path == "herald/bomb-sitemap.xml.gz":  # a .gz file, not transport compression
                body = gzip.compress(b"<urlset>" + b" " * BOMB_SIZE, compresslevel=9)
                self._send(200, body, {"Content-Type": "application/x-gzip"})
                return
            if path.startswith("go/"):
                port = self.server.server_address[1]
                self._send(302, b"", {"Location": f"http://localhost:{port}/{path[3:]}"})
                return
            if path == "gdelt/api":
                state["gdelt"] = state.get("gdelt", 0) + 1
                if state["gdelt"] == 1:
                    self._send(429, b"slow down", {"Retry-After": "1"})
                    return
                path = "gdelt/api.json"
            if path == "asiadesk/edcf-loan.html":
                state["edcf"] = state.get("edcf", 0) + 1
                if state["edcf"] == 1:  # a 5xx without Retry-After: retried after a backoff
                    self._send(503, b"overloaded", {"Content-Type": "text/plain"})
                    return
            if path in down:  # a server error for as long as the test keeps the path down
                self._send(503, b"overloaded", {"Content-Type": "text/plain"})
                return
            target = (root / path).resolve()
            if not target.is_file() and target.with_suffix(".rss").is_file():
                target = target.with_suffix(".rss")
            if not path or root.resolve() not in target.parents or not target.is_file():
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            body = target.read_bytes().replace(b"{BASE}", self._base().encode())
            body = re.sub(
                rb"\{GNEWS:([^}]+)\}",
                lambda m: gnews_link(self._base() + m.group(1).decode()).encode(),
                body,
            )
            body = render_dates(body, now)
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            validators = {"ETag": etag, "Last-Modified": last_modified}
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", validators)
                return
            ctype = TYPES.get(target.suffix, "application/octet-stream")
            if "gzip" in self.headers.get("Accept-Encoding", "") and target.suffix != ".html":
                body = gzip.compress(body)
                validators["Content-Encoding"] = "gzip"
            self._send(200, body, {"Content-Type": ctype, **validators})

        def log_message(self, format: str, *args: object) -> None:  # quiet: the crawl logs
            pass

    return Handler


@contextmanager
def serve_sites(
    root: Path = SITES,
    pause: float = 0.0,
    down: set[str] | None = None,
    trickle: dict[str, float] | None = None,
) -> Iterator[tuple[str, SiteLog]]:
    """Serve `root` on 127.0.0.1 at a free port, each answer `pause` seconds late, paths in `down`
    (the caller may change it while serving) answering 503, and the body of each path in `trickle`
    sent one byte per so many seconds (what was sent when: `SiteLog.drips`); yields (base URL,
    request log). Dates are rendered relative to the moment the server starts."""
    log = SiteLog()
    now = datetime.now(UTC)
    stopping = threading.Event()  # ends a dripping answer when the server stops
    handler = _handler(
        root, log, {}, pause, down if down is not None else set(), trickle or {}, stopping, now
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        stopping.set()
        server.shutdown()
        server.server_close()


def registry(base: str) -> str:
    """The five sample outlets under tests/sites, one per spider kind, served at `base`."""
    return f"""
[gazette]
title = "Test Gazette"
lang = "en"
country = "kh"
home = "{base}/gazette/"
kind = "feed"
feeds = ["{base}/gazette/feed.rss"]
origin = "test fixture"

[herald]
title = "샘플 헤럴드"
lang = "ko"
country = "kr"
home = "{base}/herald/"
kind = "sitemap"
sitemaps = ["{base}/herald/sitemap-index.xml"]
bilateral = true
origin = "test fixture"

[khmerdaily]
title = "កាសែតគំរូ"
lang = "km"
country = "kh"
home = "{base}/khmerdaily/"
kind = "listing"
listings = [{{ url = "{base}/khmerdaily/index.html", pattern = "/khmerdaily/news/\\\\d+\\\\.html$" }}]
bilateral = true
origin = "test fixture"

[gnews_test]
title = "Google News search (test)"
lang = "en"
home = "{base}/gnews/"
kind = "gnews"
queries = ["Cambodia Korea"]
endpoint = "{base}/gnews/rss/search"
origin = "test fixture"

[gdelt_test]
title = "GDELT (test)"
lang = "en"
home = "{base}/gdelt/"
kind = "gdelt"
queries = ["Cambodia Korea"]
endpoint = "{base}/gdelt/api"
origin = "test fixture"
"""


def workspace(tmp: Path, base: str, name: str) -> Path:
    """A ckmon.toml whose address guard is ON: only the test server's own host:port is let through."""
    folder = tmp / name
    folder.mkdir()
    (folder / "sources.toml").write_text(registry(base), encoding="utf-8")
    port = base.rsplit(":", 1)[1]
    config = folder / "ckmon.toml"
    config.write_text(
        f"""
[crawl]
allow_private_addresses = false
sources_file = "sources.toml"
contact_url = "https://example.org/ckmon-test-contact"

[scrapy]
CKMON_ALLOWED_HOSTS = ["127.0.0.1:{port}"]
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = false
CKMON_RETRY_BACKOFF = 0.1
LOG_LEVEL = "INFO"
""",
        encoding="utf-8",
    )
    return config


# The article pages a crawl of registry() stores, by path (the old and skipped ones left out).
EXPECTED = {
    "/gazette/koica-water.html",
    "/herald/workers-euckr.html",
    "/herald/seoul-visit.html",
    "/khmerdaily/news/1001.html",
    "/khmerdaily/news/1002.html",
    "/wire/flights.html",
    "/asiadesk/edcf-loan.html",
}

# Port 9 on loopback: nothing listens there, so a connection is refused at once.
UNREACHABLE = "http://127.0.0.1:9"
# The sources.toml entry of an outlet at UNREACHABLE, named deadsite, for tests of failed crawls.
DEAD_OUTLET = (
    f'[deadsite]\ntitle = "Dead Site"\nlang = "en"\nhome = "{UNREACHABLE}/"\n'
    f'kind = "feed"\nfeeds = ["{UNREACHABLE}/feed.xml"]\n'
)
