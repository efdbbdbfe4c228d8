"""A loopback site whose article pages can be held back, so a test can stop a crawl half-way.

With `hold_after=n`, the article pages after the first `n` are not answered until the test calls
`release()`: the crawl is then known to be under way, with a request in flight, for as long as the
test needs (no sleeps to guess how far a crawl has got).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from digest.fetch.localsite import render_dates
from tests.support.children import Child, wait_until
from tests.support.cli import write_workspace

# Sample text written for these tests (not taken from any outlet). Story n is published n hours
# into the day before the server started (its feed entry says the same).
ARTICLE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Cambodia and South Korea sign accord {n}</title>
<meta property="article:published_time" content="{published}">
</head><body><article><h1>Cambodia and South Korea sign accord {n}</h1>
<p>PHNOM PENH - Cambodia and South Korea signed accord number {n} on Wednesday, officials in
Phnom Penh and Seoul said, in a test page written for ckmon.</p>
<p>The Korean embassy said accord {n} covers training for Cambodian workers bound for Korea under
the Employment Permit System, and the Cambodian labour ministry welcomed it.</p>
<p>Both governments said item {n} of the plan starts next year, with KOICA paying for classes.</p>
</article></body></html>"""


def _published(n: int, form: str = "") -> str:
    return "{{ago:" + f"{24 - n}h" + (f":{form}" if form else "") + "}}"


@dataclass
class SlowSite:
    base: str
    articles: int
    hold_after: int | None = None
    requested: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)  # article pages sent in full
    held: list[str] = field(default_factory=list)  # article pages waiting for `release`
    released: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, child: Child | None = None, timeout: float = 60) -> None:
        """Until `count` article pages were sent; fails at once if `child` exits first."""
        wait_until(lambda: len(self.served) >= count, f"{count} articles served", timeout, child)

    def wait_held(self, child: Child | None = None, timeout: float = 60) -> None:
        """Until an article request is held back: the crawl is under way, a request in flight."""
        wait_until(lambda: bool(self.held), "an article request held", timeout, child)

    def release(self) -> None:
        """Answer the held requests, and every later one, at once."""
        self.released.set()


@contextmanager
def slow_site(articles: int, hold_after: int | None = None) -> Iterator[SlowSite]:
    """A feed of `articles` stories, sent one at a time; those after the first `hold_after` wait
    for `release()` (or the end of the `with` block)."""
    site = SlowSite("", articles, hold_after)
    one_at_a_time = threading.Lock()
    now = datetime.now(UTC)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requested.append(self.path)
            if self.path == "/feed.xml":
                items = "".join(
                    f"<item><title>Accord {n}</title><link>{site.base}/story-{n}.html</link>"
                    f"<pubDate>{_published(n)}</pubDate></item>"
                    for n in range(1, articles + 1)
                )
                body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>{items}</channel></rss>'
                kind = "application/rss+xml"
            elif self.path.startswith("/story-"):
                n = int(self.path[len("/story-") : -len(".html")])
                with one_at_a_time:
                    if site.hold_after is not None and len(site.served) >= site.hold_after:
                        site.held.append(self.path)
                        site.released.wait(timeout=300)
                    body = ARTICLE.format(n=n, published=_published(n, "iso"))
                    self._send(body, "text/html; charset=utf-8")
                    site.served.append(self.path)
                return
            else:
                self.send_error(404)
                return
            self._send(body, kind)

        def _send(self, body: str, kind: str) -> None:
            data = render_dates(body.encode(), now)
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.release()  # a held request must not keep a handler thread waiting
        server.shutdown()
        server.server_close()


def workspace(tmp: Path, base: str, extra: str = "") -> Path:
    """A ckmon.toml crawling one feed outlet at `base`."""
    config = write_workspace(
        tmp,
        f'[slow]\ntitle = "Slow Gazette"\nlang = "en"\nhome = "{base}/"\nkind = "feed"\n'
        f'feeds = ["{base}/feed.xml"]\nbilateral = true\n',
    )
    text = config.read_text(encoding="utf-8")
    # One article in flight at a time, so a stop lands between articles, not after all of them.
    config.write_text(text + "RETRY_TIMES = 0\nCONCURRENT_REQUESTS = 1\n" + extra, encoding="utf-8")
    return config
