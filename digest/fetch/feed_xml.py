"""RSS and Atom bodies as feedparser reads them: always from a stream of the response's bytes,
with invalid code points replaced first.

feedparser takes a string it is given for an address or a file name: a URL is fetched (past the
address guard), a file is opened and read ("/dev/zero" forever). A stream is only ever read.
It also raises on a reference to a lone surrogate or past U+10FFFF (`&#xD800;` in one title lost
the whole feed), and passes NUL and controls through into titles: both are cleaned here, once.
"""

from __future__ import annotations

import codecs
import io

import feedparser

from digest.analysis.textnorm import valid_markup, valid_markup_bytes, valid_text

# The entry fields ckmon reads, cleaned of what feedparser let through.
ENTRY_TEXTS = ("title", "link", "summary", "id")
# UTF-32 before UTF-16: the UTF-32LE mark begins with the UTF-16LE one.
_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# "<?" without a mark, as the XML specification's appendix F tells the encodings apart.
_UNMARKED = {
    b"<\x00\x00\x00": "utf-32-le",
    b"\x00\x00\x00<": "utf-32-be",
    b"<\x00?\x00": "utf-16-le",
    b"\x00<\x00?": "utf-16-be",
}


def read_feed(body: bytes, url: str) -> feedparser.FeedParserDict:
    """The parsed feed of a response body fetched from `url` (which only resolves its links)."""
    feed = feedparser.parse(
        io.BytesIO(_valid_body(body)), response_headers={"content-location": url}
    )
    for entry in feed.entries:
        for key in ENTRY_TEXTS:
            if isinstance(entry.get(key), str):
                entry[key] = valid_text(entry[key])
    return feed


def _valid_body(body: bytes) -> bytes:
    """The body with references to invalid code points replaced, in its own encoding."""
    codec = next((c for mark, c in _MARKS if body.startswith(mark)), None) or _UNMARKED.get(
        body[:4]
    )
    if codec is None:  # ASCII-compatible: a reference is the same bytes in every such encoding
        return valid_markup_bytes(body)
    text = body.decode(codec, errors="replace")
    return valid_markup(text).encode(codec)  # "utf-16"/"utf-32" write their mark again
