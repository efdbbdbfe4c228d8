"""Search aggregators as plain data: Google News RSS links and GDELT DOC 2.0 article lists."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from digest.analysis.textnorm import valid_text

GNEWS_HOSTS = ("news.google.com",)


def gnews_publisher_url(link: str) -> str:
    """The publisher's URL carried inside a Google News article link, or '' if it is not there.

    Older links (`/rss/articles/CBMi…`) carry the URL in a small protobuf, base64url encoded;
    newer ones carry only an opaque id, and the caller falls back to following the link.
    """
    parts = urlsplit(link)
    if parts.hostname not in GNEWS_HOSTS or "/articles/" not in parts.path:
        return ""
    token = parts.path.rsplit("/", 1)[-1]
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return ""
    # Field 4 (tag 0x22) is a length-delimited string: the URL; its length is a varint.
    start = data.find(b"\x22")
    if start < 0:
        return ""
    length, shift, pos = 0, 0, start + 1
    while pos < len(data):
        byte = data[pos]
        length |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            break
        shift += 7
    url = data[pos : pos + length].decode("utf-8", errors="replace")
    return url if url.startswith(("http://", "https://")) and len(url) == length else ""


def is_aggregator_page(url: str) -> bool:
    """A page still on Google News after redirects: an interstitial, not the publisher's article."""
    return urlsplit(url).hostname in GNEWS_HOSTS


@dataclass(frozen=True)
class GdeltArticle:
    url: str
    title: str
    seen: datetime | None
    language: str  # GDELT's English name, e.g. "Korean"
    domain: str


# GDELT language names for the languages ckmon reads.
GDELT_LANGUAGE_CODES = {"english": "en", "korean": "ko", "khmer": "km"}


def parse_gdelt(body: bytes) -> list[GdeltArticle]:
    """Articles of an ArtList JSON answer; raises ValueError on anything else (GDELT answers
    errors such as "query too short" as plain text with status 200)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        snippet = body[:120].decode("utf-8", errors="replace").strip()
        raise ValueError(f"not GDELT JSON: {snippet!r}") from exc
    if not isinstance(data, dict):
        raise ValueError("not a GDELT article list")
    found = []
    for item in data.get("articles") or []:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            continue
        seen = None
        try:
            seen = datetime.strptime(str(item.get("seendate", "")), "%Y%m%dT%H%M%SZ").replace(
                tzinfo=UTC
            )
        except ValueError:
            pass
        found.append(
            GdeltArticle(  # JSON escapes may decode to lone surrogates or NUL: cleaned here
                url=valid_text(item["url"]),
                title=valid_text(str(item.get("title", ""))),
                seen=seen,
                language=str(item.get("language", "")),
                domain=str(item.get("domain", "")),
            )
        )
    return found
