"""RSS and Atom bodies as feedparser reads them: always from a stream of the response's bytes.

feedparser takes a string it is given for an address or a file name: a URL is fetched (past the
address guard), a file is opened and read ("/dev/zero" forever). A stream is only ever read.
"""

from __future__ import annotations

import io

import feedparser


def read_feed(body: bytes, url: str) -> feedparser.FeedParserDict:
    """The parsed feed of a response body fetched from `url` (which only resolves its links)."""
    return feedparser.parse(io.BytesIO(body), response_headers={"content-location": url})
