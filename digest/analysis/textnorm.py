"""Text normalisation shared by matching and shingling, written for Korean and Khmer too."""

from __future__ import annotations

import re
import unicodedata

import regex

# Zero-width characters: Khmer text uses U+200B as an invisible word break; others are noise.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFC, invisible characters removed, whitespace collapsed; case kept."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text).translate(_INVISIBLE)).strip()


# Controls (C0 but tab/LF/CR, DEL, C1), line/paragraph separators and bidi embeddings, overrides
# and isolates: in a headline they only break lines or reverse what a reader sees.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
TITLE_LIMIT = 300


def display_text(text: str, limit: int | None = None) -> str:
    """Scraped text as the digest shows it: one line, no control or bidi-override characters, and
    at most `limit` characters (cut at a space, with an ellipsis). Escaping is the template's job."""
    line = _SPACE.sub(" ", _CONTROLS.sub(" ", text)).strip()
    return line if limit is None else clip(line, limit)


# An extended grapheme cluster: a Khmer consonant with its coeng subscripts and vowel signs, a
# Hangul syllable from jamo, a letter and its accents, a flag.
_CLUSTER = regex.compile(r"\X")


def clip(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else cut with an ellipsis: at a space or a Khmer
    zero-width word break in the second half, failing that between two character clusters, so a
    Khmer subscript or vowel sign never dangles."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(" "), head.rfind("\u200b"))
    if cut <= limit // 2:
        cut = 0
        for cluster in _CLUSTER.finditer(text):
            if cluster.end() > limit:
                break
            cut = cluster.end()
    return text[: cut or limit].rstrip(" ,;:\u200b") + "…"


def web_link(url: str) -> str:
    """`url` if it is an http(s) address, else "" (a javascript: or data: link is never shown)."""
    scheme = url.strip().partition(":")[0].lower()
    return url.strip() if scheme in ("http", "https") and _CONTROLS.search(url) is None else ""


# Code points that are not text: NUL and the C0 controls but tab, LF and CR (XML 1.0 has no place
# for them, PostgreSQL refuses NUL), lone surrogates (UTF-8 cannot encode them: SQLite and
# PostgreSQL refuse the row, bs4 and feedparser raise) and the non-characters U+FDD0–U+FDEF,
# U+FFFE and U+FFFF. Vertical tab and form feed are spacing and become a space.
INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_SPACING = frozenset("\x0b\x0c")
# A numeric character reference (HTML lets the semicolon go); the digits are bounded before int().
_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")
_REFERENCE_BYTES = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")
REPLACEMENT_REFERENCE = "&#xFFFD;"


def valid_text(text: str) -> str:
    """`text` with every invalid code point replaced by U+FFFD (vertical tab and form feed by a
    space): what enters ckmon (a page, a feed, JSON-LD, a `ckmon tag` record) is cleaned once, so
    no later parser raises and no store refuses it."""
    if INVALID.search(text) is None:  # nearly every text: no copy
        return text
    return INVALID.sub(lambda m: " " if m.group() in _SPACING else "\ufffd", text)


def invalid_reference(hexadecimal: str | bytes | None, decimal: str | bytes | None) -> bool:
    """Whether a numeric character reference names an invalid code point, or none at all."""
    digits = hexadecimal or decimal or ""
    if len(digits) > 8:  # beyond U+10FFFF in either base (and int() refuses thousands of digits)
        return True
    point = int(digits, 16 if hexadecimal else 10)
    return point > 0x10FFFF or INVALID.fullmatch(chr(point)) is not None


def valid_markup(markup: str) -> str:
    """HTML or XML text with invalid code points replaced, written or referenced (`&#xD800;`,
    `&#0;`, `&#x110000;`): the parser never sees one."""
    markup = valid_text(markup)
    if "&#" not in markup:
        return markup
    return _REFERENCE.sub(
        lambda m: REPLACEMENT_REFERENCE if invalid_reference(m.group(1), m.group(2)) else m.group(),
        markup,
    )


def valid_markup_bytes(markup: bytes) -> bytes:
    """`valid_markup` for the references of an undecoded body in an ASCII-compatible encoding."""
    if b"&#" not in markup:
        return markup
    return _REFERENCE_BYTES.sub(
        lambda m: (
            REPLACEMENT_REFERENCE.encode()
            if invalid_reference(m.group(1), m.group(2))
            else m.group()
        ),
        markup,
    )
