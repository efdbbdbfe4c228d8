"""The one loopback server (digest.fetch.localsite) set up for the bad-input tests: one port per outlet, so each feed's articles have their
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

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from digest.fetch.localsite import Answer, RequestLog, Site, bomb, serve_site

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


Hits = RequestLog  # (port, path, status) of every answer: `paths(port)`


def site(root: Path, extra: dict[str, bytes] | None = None, ports: int = 1) -> Site:
    """The one loopback server's options for the bad-input folder `root`, on `ports` ports."""
    html = {"Content-Type": "text/html"}
    return Site(
        root=root,
        pages=extra if extra is not None else {},  # the caller's dict: it may fill it in later
        types=TYPES,
        generated={r"gen/(\d+)\.html": GENERATED, r"(slow|busy)\.html": GENERATED},
        keep_alive=True,
        delays={"slow.html": SLOW_SECONDS},
        answers={
            "bomb.html": bomb(b"<html>", {**html, "Content-Encoding": "gzip"}),
            "binary.html": Answer(200, PNG, {"Content-Type": "image/png"}),
            "garbage.html": Answer(200, PNG * 40, html),
        },
        first={"busy.html": Answer(429, b"slow down", {"Retry-After": "1"})},
        redirects={"loop/a.html": "{BASE}/loop/b.html", "loop/b.html": "{BASE}/loop/a.html"},
        declared=True,
        ports=ports,
    )


@contextmanager
def serve_ports(
    root: Path, count: int, extra: dict[str, bytes] | None = None
) -> Iterator[tuple[list[str], Hits]]:
    """`count` ports serving `root` on 127.0.0.1; yields their base URLs and the shared hit log."""
    with serve_site(site(root, extra, count)) as served:
        yield served.bases, served.log
