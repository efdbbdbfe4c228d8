"""A YYYY-MM-DD command-line option as a moment in the configured time zone, for every command
that takes days (`digest --since/--until`, `articles --since`): one parser, one range."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as clock_time

import click

from digest.config import Config

# Days an edition's window may start or end on: the clock's range less a day each side, so the
# window in any time zone, and the day after the last, are still dates.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9999, 12, 30)


def day_option(
    value: str | None, option: str, config: Config, *, end: bool = False
) -> datetime | None:
    """A YYYY-MM-DD option as the start (or the end) of that day in the configured time zone."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise click.BadParameter(
            f"{value} is out of range: give a day from {FIRST_DAY} to {LAST_DAY}",
            param_hint=option,
        )
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, clock_time(0), config.digest.timezone)
