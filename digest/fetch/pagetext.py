"""An article page's bytes as text: the declared charset first, then a guess when none is declared,
or when the bytes prove the declaration wrong.

Scrapy falls back on cp1252 for a page that declares nothing, which turns an EUC-KR page into
mojibake; here an undeclared page is read as UTF-8 when it is valid UTF-8, else by detection.
Servers and pages also declare a charset the bytes are not in (EUC-KR said to be UTF-8 or
ISO-8859-1): when the declared one cannot decode them, or yields Latin-1 mojibake of Hangul, the
charset is detected (charset-normalizer) and the caller counts the correction.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

import charset_normalizer
from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
)

BINARY_SNIFF = 2048  # characters looked at to tell a binary body from text
BINARY_SHARE = 0.1  # more controls or undecodable bytes than this share: not text
# Controls no text uses (tab, LF, FF and CR aside) and what a decoder put for undecodable bytes
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")
# Hangul read as Latin-1/cp1252: each syllable is two bytes 0xA1–0xFE, two accented letters in a row
_LATIN_PAIR = re.compile("[\xa1-\xfe]{2}")
LATIN_PAIRS_SUSPECT = 4
_HANGUL = re.compile("[\uac00-\ud7a3]")
_LATIN = frozenset(codecs.lookup(c).name for c in ("cp1252", "latin-1", "ascii"))


class PageText(NamedTuple):
    encoding: str  # the encoding the text was read in
    text: str
    corrected: str  # the declared charset the bytes proved wrong ("" when none was)


def looks_binary(text: str) -> bool:
    """Mostly controls or undecodable bytes near the start: an image or archive served as a page.

    Judged on the decoded text, so UTF-16 without a byte-order mark, or a stray NUL in a title,
    is still text."""
    head = text[:BINARY_SNIFF]
    return bool(head) and len(_NOT_TEXT.findall(head)) > BINARY_SHARE * len(head)


def _cp949(encoding: str) -> str:
    # CP949 is EUC-KR plus the syllables EUC-KR lacks; servers label both "euc-kr".
    return "cp949" if encoding in ("euc_kr", "euc-kr") else encoding


def _guess(body: bytes) -> str | None:
    if b"\x00" not in body[:BINARY_SNIFF]:  # NUL bytes are valid UTF-8, and all over UTF-16
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "utf-8"
    best = charset_normalizer.from_bytes(body).best()
    return _cp949(best.encoding) if best is not None else None


def _misread(body: bytes, encoding: str, text: str) -> bool:
    """Whether the declared `encoding` does not fit the bytes: some do not decode in it, or it is
    Latin-1 and the text looks like Hangul read as Latin-1."""
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return True
    latin = codecs.lookup(encoding).name in _LATIN
    return latin and len(_LATIN_PAIR.findall(text, 0, 20_000)) >= LATIN_PAIRS_SUSPECT


def page_text(body: bytes, content_type: str | None) -> PageText:
    """The page as text: a byte-order mark, the HTTP header or a meta tag decide, else a guess;
    a declaration the bytes prove wrong is replaced by the detected charset."""
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_guess)
    if read_bom(body)[0] is not None:
        return PageText(encoding, text, "")
    declared = http_content_type_encoding(content_type) or html_body_declared_encoding(body)
    if declared is None or not _misread(body, encoding, text):
        return PageText(encoding, text, "")
    best = charset_normalizer.from_bytes(body).best()
    if best is None or codecs.lookup(best.encoding).name == codecs.lookup(encoding).name:
        return PageText(encoding, text, "")
    better = _cp949(best.encoding)
    fixed = body.decode(better, errors="replace")
    if codecs.lookup(encoding).name in _LATIN and not _HANGUL.search(fixed):
        return PageText(encoding, text, "")  # another Western reading: the declaration stands
    return PageText(better, fixed, declared)
