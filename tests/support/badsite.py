"""Loopback servers for the bad-input tests: one port per outlet, so each feed's articles have their
own addresses, and special paths that misbehave the way real servers do.

Files under the served folder have `{BASE}` replaced by the address of the port that serves them,
and `{{ago:...}}` by a date that long before the servers started (`digest.fetch.localsite.render_dates`;
the dates under tests/badinput were written as ages before 21 November 2026, 00:00 UTC).
`.html` is sent as `text/html` without a charset (a page declares its own, or does not).
Special paths (any port): /bomb.html (gzip bomb), /loop/a.html and /loop/b.html (redirect to each
other), /slow.html (answers after `SLOW_SECONDS`), /busy.html (429 with Retry-After: 1 the first
time, then a good page), /binary.html (PNG bytes labelled image/png), /garbage.html (binary bytes
labelled text/html), /gen/<n>.html (a generated good article page), /declared/<charset>/<path> (the
file at <path> with `text/html; charset=<charset>` in the header: the charset a server claims).
"""

from __future__ import annotations

import gzip
import re
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from digest.fetch.localsite import render_dates

BOMB_SIZE = 32 * 1024 * 1024  # decompressed; about 32 kB on the wire
SLOW_SECONDS = 30.0  # never within the test's DOWNLOAD_TIMEOUT, however busy the machine
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000b4944415408d763f80f00010101001bdd8db40000000049454e44ae426082"
)
TYPES = {".html": "text/html", ".xml": "application/xml"}

# A good article page, written for these tests (not taken from any outlet).
GENERATED = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Cambodia and Korea generated story {n}</title>
<meta property="article:published_time" content="{{ago:3d1h:iso+07:00}}"></head>
<body><article><h1>Cambodia and Korea generated story {n}</h1>
<p>Officials from Cambodia and South Korea met in Phnom Penh for generated story {n}, a page
written for ckmon's bad-input tests.</p>
<p>The Korean embassy said meeting {n} covered trade, labour and tourism between the two.</p>
</article></body></html>"""


def _generated(n: str, now: datetime) -> bytes:
    return render_dates(GENERATED.replace("{n}", n).encode(), now)


@dataclass
class Hits:
    """(port, path, status) of every answer, for assertions on what was asked."""

    rows: list[tuple[int, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, port: int, path: str, status: int) -> None:
        with self.lock:
            self.rows.append((port, path, status))

    def paths(self, port: int) -> list[str]:
        return [p for q, p, _ in self.rows if q == port]


def _handler(
    root: Path,
    extra: dict[str, bytes],
    hits: Hits,
    state: dict[tuple[int, str], int],
    now: datetime,
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
            port = self.server.server_address[1]
            hits.add(port, urlsplit(self.path).path, status)
            try:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (the timeout case): nothing to answer
                self.close_connection = True

        def do_GET(self) -> None:
            port = self.server.server_address[1]
            base = f"http://127.0.0.1:{port}"
            path = urlsplit(self.path).path.lstrip("/")
            html = {"Content-Type": "text/html"}
            if path == "bomb.html":
                body = gzip.compress(b"<html>" + b" " * BOMB_SIZE, compresslevel=9)
                self._send(200, body, {**html, "Content-Encoding": "gzip"})
            elif path in ("loop/a.html", "loop/b.html"):
                other = "b" if path == "loop/a.html" else "a"
                self._send(302, b"", {"Location": f"{base}/loop/{other}.html"})
            elif path == "slow.html":
                time.sleep(SLOW_SECONDS)
                self._send(200, _generated("slow", now), html)
            elif path == "busy.html":
                key = (port, path)
                state[key] = state.get(key, 0) + 1
                if state[key] == 1:
                    self._send(429, b"slow down", {"Retry-After": "1"})
                else:
                    self._send(200, _generated("busy", now), html)
            elif path == "binary.html":
                self._send(200, PNG, {"Content-Type": "image/png"})
            elif path == "garbage.html":
                self._send(200, PNG * 40, html)
            elif m := re.fullmatch(r"gen/(\d+)\.html", path):
                self._send(200, _generated(m.group(1), now), html)
            elif m := re.fullmatch(r"declared/([\w.-]+)/(.+\.html)", path):
                target = (root / m.group(2)).resolve()
                if root.resolve() not in target.parents or not target.is_file():
                    self._send(404, b"not found", {"Content-Type": "text/plain"})
                    return
                body = render_dates(target.read_bytes().replace(b"{BASE}", base.encode()), now)
                self._send(200, body, {"Content-Type": f"text/html; charset={m.group(1)}"})
            elif path in extra:
                self._send(
                    200,
                    render_dates(extra[path].replace(b"{BASE}", base.encode()), now),
                    {"Content-Type": TYPES[".xml"]},
                )
            else:
                target = (root / path).resolve()
                if not path or root.resolve() not in target.parents or not target.is_file():
                    self._send(404, b"not found", {"Content-Type": "text/plain"})
                    return
                body = render_dates(target.read_bytes().replace(b"{BASE}", base.encode()), now)
                ctype = TYPES.get(target.suffix, "application/octet-stream")
                self._send(200, body, {"Content-Type": ctype})

        def log_message(self, format: str, *args: object) -> None:  # quiet: the crawl logs
            pass

    return Handler


@contextmanager
def serve_ports(
    root: Path, count: int, extra: dict[str, bytes] | None = None
) -> Iterator[tuple[list[str], Hits]]:
    """`count` servers of `root` on 127.0.0.1; yields their base URLs and the shared hit log."""
    hits = Hits()
    handler = _handler(root, extra or {}, hits, {}, datetime.now(UTC))
    with ExitStack() as stack:
        bases = []
        for _ in range(count):
            server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
            bases.append(f"http://127.0.0.1:{server.server_address[1]}")
        yield bases, hits
