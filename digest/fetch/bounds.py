"""How many entries one discovery document may send on to be fetched: one rule for every kind.

A feed, a sitemap, a sitemap index, a listing page or a search answer may list thousands of links
(a news sitemap of 2,000 undated URLs would be 2,000 fetches). Each kind has a cap, a Scrapy setting
(`[scrapy]` in ckmon.toml); the entries kept are the newest by the document's own dates, those
without a date after the dated ones in the document's order; the others are counted and logged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

T = TypeVar("T")

_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Cap:
    setting: str  # the Scrapy setting that changes it
    default: int  # as in spiders/settings.py


# Per discovery kind; the key names the kind in logs and in the stat `entries_over_limit/<key>`.
CAPS = {
    "feed": Cap("CKMON_FEED_MAX_ENTRIES", 500),  # RSS/Atom items
    "sitemap": Cap("CKMON_SITEMAP_MAX_ENTRIES", 500),  # <url>s of a sitemap or news sitemap
    "sitemap_index": Cap("CKMON_SITEMAP_MAX_CHILDREN", 5),  # child sitemaps of an index
    "listing": Cap("CKMON_LISTING_MAX_LINKS", 60),  # article links of a listing page
    "search": Cap("CKMON_SEARCH_MAX_ENTRIES", 100),  # Google News and GDELT results
}


def newest(
    items: Sequence[T], limit: int, when: Callable[[T], datetime | None]
) -> tuple[list[T], int]:
    """At most `limit` of `items` (the newest; undated ones after, in their order) and how many
    were left out. Under `limit`, the items in their own order."""
    if len(items) <= max(limit, 0):
        return list(items), 0
    ranked = sorted(items, key=lambda item: when(item) or _OLDEST, reverse=True)  # stable
    kept = ranked[: max(limit, 0)]
    return kept, len(items) - len(kept)
