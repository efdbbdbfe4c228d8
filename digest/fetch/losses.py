"""What a crawl lost, read from its stats: the one line a failed outlet shows.

A crawl that lost something it found is a failed crawl, whatever Scrapy's close reason: the store
refused a write (a full disk, a quota, a lost server), or ckmon's own code raised on a page or an
item (a bug: the log has the trace).
"""

from __future__ import annotations

from typing import Any

STORE_FAILED = "store_failed"  # the reason a spider is closed with when the store refuses a write
STORE_ERROR_STAT = "ckmon/store_error"  # the store's first refusal, for the run and the summary
STORE_FAILED_PREFIX = "store failed"  # how such a crawl's error begins


def store_cause(exc: BaseException) -> str:
    """The driver's own reason on one line ("database or disk is full"), without SQLAlchemy's
    statement and parameters (an article's whole text)."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    return lines[0][:300]


def lost_cause(stats: dict[str, Any], reason: str = "finished") -> str:
    """Why this crawl lost something it found, or "" when it lost nothing."""
    if reason == STORE_FAILED or stats.get(STORE_ERROR_STAT):
        lost = stats.get("ckmon/store_failed", 0)
        what = f" ({lost} articles not stored)" if lost else ""
        return f"{STORE_FAILED_PREFIX}: {stats.get(STORE_ERROR_STAT, 'see the log')}{what}"
    errors = stats.get("spider_exceptions/count", 0) + stats.get("ckmon/item_errors", 0)
    if errors:
        return f"{errors} errors in ckmon's code, pages or articles lost (see the log's traces)"
    return ""
