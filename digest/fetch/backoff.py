"""How long to wait before retrying: the server's Retry-After if it gave one, else exponential."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def retry_after_seconds(value: str, now: datetime) -> float | None:
    """Retry-After as seconds from `now`: either delta-seconds or an HTTP date; None if unreadable."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """base, 2·base, 4·base, … for attempts 0, 1, 2, …, never above `cap`."""
    return min(cap, base * (2**attempt))
