"""A small HTTP server on loopback serving a folder, with `{BASE}` replaced by its own address and
`{{ago:...}}` by a date that long before the server started (`render_dates`).

Used by `ckmon demo` and by the tests: pages and feeds are written once, served at any port, on any
day.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/rss+xml; charset=utf-8"}

# --- Dates relative to the moment a page is served. Self-contained (the standard library only), so
# every loopback server, in the tests and in `ckmon demo`, renders pages the same way.

_AGO = re.compile(rb"\{\{ago:((?:\d+[dhms])+)(?::([a-z][a-z0-9]*)(Z|[+-]\d\d:\d\d)?)?\}\}")
_UNITS = {b"d": "days", b"h": "hours", b"m": "minutes", b"s": "seconds"}
_KM_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
_KM_MONTHS = (
    "មករា", "កុម្ភៈ", "មីនា", "មេសា", "ឧសភា", "មិថុនា",
    "កក្កដា", "សីហា", "កញ្ញា", "តុលា", "វិច្ឆិកា", "ធ្នូ",
)  # fmt: skip
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_FORMATS = {
    "rfc822": lambda t, z: format_datetime(t, usegmt=True) if z is None else format_datetime(t),
    "iso": lambda t, z: t.isoformat().replace("+00:00", "Z") if z == "Z" else t.isoformat(),
    "date": lambda t, z: t.date().isoformat(),
    "long": lambda t, z: f"{t.day} {_MONTHS[t.month - 1]} {t.year}",
    "gdelt": lambda t, z: t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"),
    "ko": lambda t, z: f"{t.year}년 {t.month}월 {t.day}일 {t:%H:%M}",
    "km": lambda t, z: f"{t.day} {_KM_MONTHS[t.month - 1]} {t.year} ម៉ោង {t:%H:%M}".translate(
        _KM_DIGITS
    ),
}


def render_dates(body: bytes, now: datetime) -> bytes:
    """`body` with each `{{ago:AGE}}` or `{{ago:AGE:FORMAT}}` replaced by the moment AGE before `now`.

    AGE is a sum of whole days, hours, minutes and seconds: `3d`, `2h`, `4d21h30m`. FORMAT is one
    of the forms below, optionally followed by the zone the date is printed in (`Z`, `+09:00`,
    `-05:00`; UTC when left out), for `now` = Wed 25 Nov 2026 00:00 UTC and AGE `1d15h`:

    - `rfc822` (the default; RSS pubDate, HTTP dates): `Mon, 23 Nov 2026 09:00:00 GMT`, and with
      a zone `rfc822+07:00`: `Mon, 23 Nov 2026 16:00:00 +0700`
    - `iso` (sitemaps, JSON-LD, meta tags): `2026-11-23T09:00:00+00:00`; `iso+09:00`:
      `2026-11-23T18:00:00+09:00`; `isoZ`: `2026-11-23T09:00:00Z`
    - `date`: `2026-11-23` (the day in that zone); `long`: `23 November 2026`
    - `gdelt` (the GDELT API's seendate, always UTC): `20261123T090000Z`
    - `ko+09:00`: `2026년 11월 23일 18:00`; `km+07:00`: `២៣ វិច្ឆិកា ២០២៦ ម៉ោង ១៦:០០` (UTF-8)

    Seconds are whole. A server passes the moment it started as `now`, so a page asked for twice is
    the same page (its ETag holds) and a feed entry's date agrees with its page's. Dates that must
    stay old (an item from 2019) or in the future (2099) are written as they are.
    """

    def one(match: re.Match[bytes]) -> bytes:
        age = timedelta()
        for amount, unit in re.findall(rb"(\d+)([dhms])", match.group(1)):
            age += timedelta(**{_UNITS[unit]: int(amount)})
        form = (match.group(2) or b"rfc822").decode()
        if form not in _FORMATS:
            raise ValueError(f"unknown date format {form!r} in {match.group(0)!r}")
        zone = match.group(3).decode() if match.group(3) else None
        tz = (
            UTC
            if zone in (None, "Z")
            else timezone(timedelta(hours=int(zone[:3]), minutes=int(zone[0] + zone[4:])))
        )
        when = (now - age).astimezone(tz).replace(microsecond=0)
        return _FORMATS[form](when, zone).encode()

    return _AGO.sub(one, body)


def _handler(
    root: Path, log: list[str], delay: float, now: datetime
) -> type[BaseHTTPRequestHandler]:
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
            body = render_dates(target.read_bytes().replace(b"{BASE}", base.encode()), now)
            self.send_response(200)
            self.send_header("Content-Type", TYPES.get(target.suffix, "application/octet-stream"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet: the crawl logs
            pass

    return Handler


@contextmanager
def serve(
    root: Path, *, delay: float = 0.0, now: datetime | None = None
) -> Iterator[tuple[str, list[str]]]:
    """Serve `root` on 127.0.0.1 at a free port; yields (base URL, list of requested paths).

    `delay` seconds are spent before each answer, like a distant server. Dates in the files are
    rendered relative to `now` (default: the moment the server starts).
    """
    requested: list[str] = []
    handler = _handler(root, requested, delay, now or datetime.now(UTC))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()


def write_numbered_site(root: Path, count: int, published: str = "{{ago:2d:iso}}") -> list[str]:
    """A site of `count` article pages and a feed listing them all (for crawls at scale).

    Returns the article paths. The text is written for ckmon's tests and benchmarks; `published`
    is each page's date, by default two days before the server serving it started.
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
