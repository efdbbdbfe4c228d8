"""An article page that still fails after the retries (a 5xx) is asked again on the next run:
the feed's validators are not saved, so the feed is read whole and the missing page fetched."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import ckmon, write_workspace

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Korean lenders fund a Cambodian water plant</title>
<meta property="article:published_time" content="2026-11-24T08:00:00+07:00"></head>
<body><article><h1>Korean lenders fund a Cambodian water plant</h1>
<p>South Korea's development fund signed a loan with Cambodia in Phnom Penh on Monday for a
water treatment plant, an article written for ckmon's retry test.</p>
<p>The Korean embassy said the plant would serve two districts of the Cambodian capital.</p>
</article></body></html>"""


@contextmanager
def _site(state: dict[str, object]) -> Iterator[str]:
    """A feed with an ETag (304 when it matches) and one article that answers 503 while down."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # the crawl logs
            pass

        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            state.setdefault("asked", []).append((self.path, self.headers.get("If-None-Match")))  # type: ignore[union-attr]
            if self.path == "/feed.xml":
                if self.headers.get("If-None-Match") == '"v1"':
                    return self._send(304, b"", {"ETag": '"v1"'})
                feed = (
                    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                    f"<title>Water desk</title><item><title>Water plant</title>"
                    f"<link>{base}/water.html</link>"
                    "<pubDate>Tue, 24 Nov 2026 01:00:00 GMT</pubDate></item></channel></rss>"
                )
                return self._send(
                    200, feed.encode(), {"ETag": '"v1"', "Content-Type": "application/rss+xml"}
                )
            if self.path == "/water.html":
                if state.get("down"):
                    return self._send(503, b"overloaded", {"Content-Type": "text/plain"})
                return self._send(200, PAGE.encode(), {"Content-Type": "text/html"})
            self._send(404, b"not found", {"Content-Type": "text/plain"})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _stored(config: Path) -> list[str]:
    with sqlite3.connect(config.parent / "data" / "ckmon.sqlite") as conn:
        return [title for (title,) in conn.execute("SELECT title FROM articles")]


def test_an_article_that_failed_with_503_is_fetched_on_the_next_run(tmp_path: Path) -> None:
    state: dict[str, object] = {"down": True}
    with _site(state) as base:
        config = write_workspace(
            tmp_path,
            f'[waterdesk]\ntitle = "Water Desk"\nlang = "en"\nhome = "{base}/"\n'
            f'kind = "feed"\nfeeds = ["{base}/feed.xml"]\n',
        )
        config.write_text(
            config.read_text() + "RETRY_TIMES = 1\nCKMON_RETRY_BACKOFF = 0.1\n", encoding="utf-8"
        )
        first = ckmon(config, "crawl", "--since", "2026-11-01")
        assert "article fetch failed" in first.stderr and "HTTP 503" in first.stderr, first.stderr
        assert _stored(config) == []

        state.update(down=False, asked=[])
        second = ckmon(config, "crawl", "--since", "2026-11-01")
        assert second.returncode == 0, second.stderr
        # the feed was asked for whole (no validator saved after the failed page), then the page
        assert ("/feed.xml", None) in state["asked"], state["asked"]
        assert _stored(config) == ["Korean lenders fund a Cambodian water plant"]

        state.update(asked=[])
        third = ckmon(config, "crawl", "--since", "2026-11-01")
        assert third.returncode == 0, third.stderr
        assert ("/feed.xml", '"v1"') in state["asked"]  # now the validator is kept: 304
        assert ("/water.html", None) not in state["asked"]
