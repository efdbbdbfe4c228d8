"""The one loopback HTTP server of ckmon: `ckmon demo`'s site, the tests' outlets and the benchmark's
news site are all `Site` options served by this handler (like Scrapy's one mock server)."""

from __future__ import annotations

import gzip
import hashlib
import re
import select
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from digest.fetch.localsite.dates import render_dates
from digest.fetch.localsite.log import Dripped, RequestLog
from digest.fetch.localsite.site import Answer, Site

NOT_FOUND = Answer(404, b"not found", {"Content-Type": "text/plain"})
OVERLOADED = Answer(503, b"overloaded", {"Content-Type": "text/plain"})


@dataclass
class Served:
    """A running server: the base URL of each port (`base` is the first), its log, its site."""

    bases: list[str]
    log: RequestLog
    site: Site

    @property
    def base(self) -> str:
        return self.bases[0]


def _handler(
    site: Site, log: RequestLog, now: datetime, stopping: threading.Event
) -> type[BaseHTTPRequestHandler]:
    last_modified = render_dates(site.last_modified.encode(), now).decode()
    counts: dict[tuple[int, str], int] = {}
    counts_lock = threading.Lock()
    generated = {re.compile(pattern): template for pattern, template in site.generated.items()}
    substitutions = {re.compile(p): f for p, f in site.substitutions.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if site.keep_alive else "HTTP/1.0"

        def do_GET(self) -> None:
            path = urlsplit(self.path).path.lstrip("/")
            log.started(path, self.headers.get("User-Agent", ""))
            try:
                if site.pause:
                    time.sleep(site.pause)  # a distant server: overlapping requests overlap
                self._answer(path)
            finally:
                log.finished()

        def log_message(self, format: str, *args: object) -> None:  # quiet: the crawl logs
            pass

        def _port(self) -> int:
            return self.server.server_address[1]

        def _base(self) -> str:
            return f"http://127.0.0.1:{self._port()}"

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            log.add(self._port(), self.path, status, len(body))
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                interval = site.trickle.get(urlsplit(self.path).path.lstrip("/"))
                if interval is None:
                    self.wfile.write(body)
                else:
                    self._drip(body, interval)
            except OSError:  # the client gave up (a timeout): nothing left to answer
                self.close_connection = True

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

        def _give(self, answer: Answer) -> None:
            self._send(answer.status, answer.data(), answer.headers)

        def _render(self, body: bytes) -> bytes:
            base = self._base()
            body = body.replace(b"{BASE}", base.encode())
            for pattern, fill in substitutions.items():
                body = pattern.sub(lambda m, fill=fill: fill(m.group(1), base), body)
            return render_dates(body, now) if site.dates else body

        def _answer(self, path: str) -> None:
            if path in site.answers:
                self._give(site.answers[path])
                return
            for prefix, location in site.redirects.items():
                if path.startswith(prefix):
                    where = location.format(
                        BASE=self._base(), PORT=self._port(), REST=path[len(prefix) :]
                    )
                    self._send(302, b"", {"Location": where})
                    return
            if path in site.first:
                with counts_lock:
                    key = (self._port(), path)
                    counts[key] = counts.get(key, 0) + 1
                    first = counts[key] == 1
                if first:
                    self._give(site.first[path])
                    return
            path = site.aliases.get(path, path)
            if path in site.down:  # a server error for as long as the test keeps the path down
                self._give(OVERLOADED)
                return
            if path in site.delays:
                time.sleep(site.delays[path])
            if site.hold is not None and path.startswith(site.hold.prefix):
                hold = site.hold
                with hold.one_at_a_time:
                    if hold.after is not None and len(hold.served) >= hold.after:
                        hold.held.append("/" + path)
                        hold.released.wait(timeout=300)
                    self._page(path)
                    hold.served.append("/" + path)
                return
            self._page(path)

        def _page(self, path: str) -> None:
            ctype = None
            if site.declared and (m := re.fullmatch(r"declared/([\w.-]+)/(.+\.html)", path)):
                path, ctype = m.group(2), f"text/html; charset={m.group(1)}"
            body = self._content(path)
            if body is None:
                self._give(NOT_FOUND)
                return
            body = self._render(body)
            suffix = Path(path).suffix
            if ctype is None:
                ctype = site.types.get(path) or site.types.get(suffix, "application/octet-stream")
            headers = {"Content-Type": ctype}
            if site.conditional:
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                validators = {"ETag": etag, "Last-Modified": last_modified}
                if self.headers.get("If-None-Match") == etag or (
                    site.modified_since and self.headers.get("If-Modified-Since") == last_modified
                ):
                    self._send(304, b"", validators)
                    return
                headers.update(validators)
            if (
                site.gzip
                and suffix != ".html"
                and "gzip" in self.headers.get("Accept-Encoding", "")
            ):
                body = gzip.compress(body)
                headers["Content-Encoding"] = "gzip"
            self._send(200, body, headers)

        def _content(self, path: str) -> bytes | None:
            """The page at `path` before rendering: in memory, generated, or a file under root."""
            if path in site.pages:
                return site.pages[path]
            for pattern, template in generated.items():
                if m := pattern.fullmatch(path):
                    return template.replace("{n}", m.group(1)).encode()
            if site.root is None or not path:
                return None
            root = site.root.resolve()
            target = (root / path).resolve()
            for suffix in site.try_suffixes:
                if not target.is_file() and target.with_suffix(suffix).is_file():
                    target = target.with_suffix(suffix)
            if root not in target.parents or not target.is_file():
                return None
            return target.read_bytes()

    return Handler


@contextmanager
def serve_site(site: Site, now: datetime | None = None) -> Iterator[Served]:
    """Serve `site` on 127.0.0.1, on `site.ports` free ports, until the block ends.

    Dates are rendered relative to `now` (default: the moment the server starts), so a page asked
    for twice is the same page.
    """
    log = RequestLog()
    stopping = threading.Event()  # ends a dripping answer when the server stops
    handler = _handler(site, log, now or datetime.now(UTC), stopping)
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), handler) for _ in range(site.ports)]
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Served([f"http://127.0.0.1:{s.server_address[1]}" for s in servers], log, site)
    finally:
        stopping.set()
        if site.hold is not None:
            site.hold.release()  # a held request must not keep a handler thread waiting
        for server in servers:
            server.shutdown()
            server.server_close()


FOLDER_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/rss+xml; charset=utf-8"}


@contextmanager
def serve(
    root: Path, *, delay: float = 0.0, now: datetime | None = None
) -> Iterator[tuple[str, list[str]]]:
    """Serve the folder `root` (the demo's site); yields (base URL, list of requested paths).

    `delay` seconds are spent before each answer, like a distant server. Dates in the files are
    rendered relative to `now` (default: the moment the server starts).
    """
    with serve_site(Site(root=root, types=FOLDER_TYPES, pause=delay), now) as served:
        yield served.base, served.log.requested
