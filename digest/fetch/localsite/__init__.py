"""The one loopback HTTP server: `ckmon demo`'s site, every test site and the benchmark's news site.

A site is a `Site` of options (content, keep-alive, conditional GET, gzip, redirects, Retry-After,
bombs, trickle, hold/release, down paths, generated pages, declared charsets); `serve_site` runs it
and yields its addresses and `RequestLog`. `{BASE}` in a page is the serving port's address and
`{{ago:...}}` a date that long before the server started (`render_dates`).
"""

from digest.fetch.localsite.dates import render_dates
from digest.fetch.localsite.log import Answered, Dripped, RequestLog
from digest.fetch.localsite.numbered import write_numbered_site
from digest.fetch.localsite.server import Served, serve, serve_site
from digest.fetch.localsite.site import BOMB_SIZE, Answer, Hold, Site, bomb

__all__ = [
    "BOMB_SIZE",
    "Answer",
    "Answered",
    "Dripped",
    "Hold",
    "RequestLog",
    "Served",
    "Site",
    "bomb",
    "render_dates",
    "serve",
    "serve_site",
    "write_numbered_site",
]
