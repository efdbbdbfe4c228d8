"""A small HTTP server on loopback serving a folder, with `{BASE}` replaced by its own address.

Used by `ckmon demo` and by the tests: pages and feeds are written once, served at any port.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/rss+xml; charset=utf-8"}


def _handler(root: Path, log: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path.lstrip("/")
            log.append(path)
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
def serve(root: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve `root` on 127.0.0.1 at a free port; yields (base URL, list of requested paths)."""
    requested: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(root, requested))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()
