"""A loopback site whose article pages can be held back, so a test can stop a crawl half-way.

With `hold_after=n`, the article pages after the first `n` are not answered until the test calls
`release()`: the crawl is then known to be under way, with a request in flight, for as long as the
test needs (no sleeps to guess how far a crawl has got).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from digest.fetch.localsite import Hold, RequestLog, Site, serve_site
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
    """The running site: its address, its requests, and the `Hold` of its article pages."""

    base: str
    articles: int
    hold: Hold
    log: RequestLog = field(default_factory=RequestLog)

    @property
    def requested(self) -> list[str]:
        return self.log.requested

    @property
    def served(self) -> list[str]:  # article pages sent in full
        return self.hold.served

    @property
    def held(self) -> list[str]:  # article pages waiting for `release`
        return self.hold.held

    def wait_for(self, count: int, child: Child | None = None, timeout: float = 60) -> None:
        """Until `count` article pages were sent; fails at once if `child` exits first."""
        wait_until(lambda: len(self.served) >= count, f"{count} articles served", timeout, child)

    def wait_held(self, child: Child | None = None, timeout: float = 60) -> None:
        """Until an article request is held back: the crawl is under way, a request in flight."""
        wait_until(lambda: bool(self.held), "an article request held", timeout, child)

    def release(self) -> None:
        """Answer the held requests, and every later one, at once."""
        self.hold.release()


def pages(articles: int) -> dict[str, bytes]:
    """The feed and its `articles` stories."""
    items = "".join(
        f"<item><title>Accord {n}</title><link>{{BASE}}/story-{n}.html</link>"
        f"<pubDate>{_published(n)}</pubDate></item>"
        for n in range(1, articles + 1)
    )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>{items}</channel></rss>'
    stories = {
        f"story-{n}.html": ARTICLE.format(n=n, published=_published(n, "iso")).encode()
        for n in range(1, articles + 1)
    }
    return {"feed.xml": feed.encode(), **stories}


@contextmanager
def slow_site(articles: int, hold_after: int | None = None) -> Iterator[SlowSite]:
    """A feed of `articles` stories, sent one at a time; those after the first `hold_after` wait
    for `release()` (or the end of the `with` block)."""
    hold = Hold("story-", hold_after)
    site = Site(
        pages=pages(articles),
        types={".xml": "application/rss+xml", ".html": "text/html; charset=utf-8"},
        hold=hold,
    )
    with serve_site(site) as served:
        yield SlowSite(served.base, articles, hold, served.log)


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
