"""An article page's bytes as text: the declared charset first, then a guess when none is declared.

Scrapy falls back on cp1252 for a page that declares nothing, which turns an EUC-KR page into
mojibake; here an undeclared page is read as UTF-8 when it is valid UTF-8, else by detection.
"""

from __future__ import annotations

import charset_normalizer
from w3lib.encoding import html_to_unicode

BINARY_SNIFF = 2048  # bytes looked at to tell a binary body from text


def looks_binary(body: bytes) -> bool:
    """NUL bytes near the start: an image or archive served as a page, not text in any encoding
    we read (UTF-16 pages declare themselves with a byte-order mark, handled before this)."""
    head = body[:BINARY_SNIFF]
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def _guess(body: bytes) -> str | None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(body).best()
        if best is None:
            return None
        # CP949 is EUC-KR plus the syllables EUC-KR lacks; servers label both "euc-kr".
        return "cp949" if best.encoding in ("euc_kr", "euc-kr") else best.encoding
    return "utf-8"


def page_text(body: bytes, content_type: str | None) -> tuple[str, str]:
    """(encoding, text): the HTTP header, a byte-order mark or a meta tag decide; else a guess."""
    return html_to_unicode(content_type, body, auto_detect_fun=_guess)
