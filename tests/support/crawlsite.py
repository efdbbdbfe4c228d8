"""The one loopback server (digest.fetch.localsite) set up for crawl tests: several outlets' feeds, sitemaps and pages under tests/sites,
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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from digest.fetch.localsite import Answer, RequestLog, Site, bomb, serve_site

SITES = Path(__file__).parents[1] / "sites"
# The moment the ages under tests/sites count back from when they were written (their dates then
# were 20-24 November 2026): a test reading a file directly renders it at this moment.
SITES_NOW = datetime(2026, 11, 25, tzinfo=UTC)
LAST_MODIFIED = "{{ago:2d}}"  # the validators' date, rendered like the files
TYPES = {
    ".html": "text/html",  # no charset: pages declare theirs (EUC-KR, UTF-8) in a meta tag
    ".xml": "application/xml",
    ".rss": "application/rss+xml; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain",
}


SiteLog = RequestLog  # what the crawler asked for; see digest.fetch.localsite.RequestLog


def gnews_link(url: str) -> str:
    """An old-style Google News article link carrying `url` (protobuf field 4, base64url)."""
    raw = url.encode()
    payload = b"\x08\x13\x22" + bytes([len(raw)]) + raw + b"\xd2\x01\x00"
    token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"https://news.google.com/rss/articles/{token}?oc=5"


def site(
    root: Path = SITES,
    pause: float = 0.0,
    down: set[str] | None = None,
    trickle: dict[str, float] | None = None,
) -> Site:
    """The one loopback server's options for the outlets under `root`."""
    gzipped = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    return Site(
        root=root,
        types=TYPES,
        try_suffixes=(".rss",),
        substitutions={
            rb"\{GNEWS:([^}]+)\}": lambda path, base: gnews_link(base + path.decode()).encode()
        },
        keep_alive=True,
        conditional=True,
        last_modified=LAST_MODIFIED,
        gzip=True,
        pause=pause,
        down=down if down is not None else set(),
        answers={
            "bomb.html": bomb(b"<html>", gzipped),
            # a .gz file, not transport compression
            "herald/bomb-sitemap.xml.gz": bomb(b"<urlset>", {"Content-Type": "application/x-gzip"}),
        },
        redirects={"go/": "http://localhost:{PORT}/{REST}"},
        first={
            "gdelt/api": Answer(429, b"slow down", {"Retry-After": "1"}),
            # a 5xx without Retry-After: retried after a backoff
            "asiadesk/edcf-loan.html": Answer(503, b"overloaded", {"Content-Type": "text/plain"}),
        },
        aliases={"gdelt/api": "gdelt/api.json"},
        trickle=trickle or {},
    )


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
    with serve_site(site(root, pause, down, trickle)) as served:
        yield served.base, served.log


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
