"""Text normalisation shared by matching and shingling, written for Korean and Khmer too."""

from __future__ import annotations

import re
import unicodedata

# Zero-width characters: Khmer text uses U+200B as an invisible word break; others are noise.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFC, invisible characters removed, whitespace collapsed; case kept."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text).translate(_INVISIBLE)).strip()
