"""A small HTTP server on loopback serving a folder, with `{BASE}` replaced by its own address.

Used by `ckmon demo` and by the tests: pages and feeds are written once, served at any port.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/rss+xml; charset=utf-8"}


def _handler(root: Path, log: list[str], delay: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path.lstrip("/")
            log.append(path)
            if delay:
                time.sleep(delay)  # a remote server's latency, for crawls that must overlap
            target = (root / path).resolve()
            if not path or root.resolve() not in target.parents or not target.is_file():
                self.send_error(404)
                return
            base = f"http://{self.server.server_address[0]}:{self.server.server_address[1]}"
            body = target.read_bytes().replace(b"{BASE}", base.encode())
            self.send_response(200)
            self.send_header("Content-Type", TYPES.get(target.suffix, "application/octet-stream"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet: the crawl logs
            pass

    return Handler


@contextmanager
def serve(root: Path, *, delay: float = 0.0) -> Iterator[tuple[str, list[str]]]:
    """Serve `root` on 127.0.0.1 at a free port; yields (base URL, list of requested paths).

    `delay` seconds are spent before each answer, like a distant server.
    """
    requested: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(root, requested, delay))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()


def write_numbered_site(
    root: Path, count: int, published: str = "2026-11-18T10:00:00+00:00"
) -> list[str]:
    """A site of `count` article pages and a feed listing them all (for crawls at scale).

    Returns the article paths. The text is written for ckmon's tests and benchmarks.
    """
    root.mkdir(parents=True, exist_ok=True)
    paths, items = [], []
    for n in range(count):
        path = f"news/{n:04d}.html"
        title = f"Market report number {n}: prices at the central market"
        paragraphs = "".join(
            f"<p>Report {n}, part {p}: traders at the central market said the price of rice, "
            f"fish and vegetables moved by {n % 7 + p} percent this week, and that buyers came "
            "early in the morning before the heat. (Sample text written for ckmon.)</p>"
            for p in range(1, 4)
        )
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<link rel="canonical" href="{{BASE}}/{path}">'
            f'<meta property="article:published_time" content="{published}"></head>'
            f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>",
            encoding="utf-8",
        )
        items.append(f"<item><title>{title}</title><link>{{BASE}}/{path}</link></item>")
        paths.append(path)
    (root / "feed.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Numbered site'
        "</title><link>{BASE}/</link><description>Written for ckmon</description>"
        + "".join(items)
        + "</channel></rss>",
        encoding="utf-8",
    )
    return paths
