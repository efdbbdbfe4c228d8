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
