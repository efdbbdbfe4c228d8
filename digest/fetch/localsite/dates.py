"""Dates relative to the moment a page is served: `{{ago:...}}` in a page becomes a date that long
before the loopback server started, so pages written once serve on any day."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

_AGO = re.compile(rb"\{\{ago:((?:\d+[dhms])+)(?::([a-z][a-z0-9]*)(Z|[+-]\d\d:\d\d)?)?\}\}")
_UNITS = {b"d": "days", b"h": "hours", b"m": "minutes", b"s": "seconds"}
_KM_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
_KM_MONTHS = (
    "មករា", "កុម្ភៈ", "មីនា", "មេសា", "ឧសភា", "មិថុនា",
    "កក្កដា", "សីហា", "កញ្ញា", "តុលា", "វិច្ឆិកា", "ធ្នូ",
)  # fmt: skip
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_FORMATS = {
    "rfc822": lambda t, z: format_datetime(t, usegmt=True) if z is None else format_datetime(t),
    "iso": lambda t, z: t.isoformat().replace("+00:00", "Z") if z == "Z" else t.isoformat(),
    "date": lambda t, z: t.date().isoformat(),
    "long": lambda t, z: f"{t.day} {_MONTHS[t.month - 1]} {t.year}",
    "gdelt": lambda t, z: t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"),
    "ko": lambda t, z: f"{t.year}년 {t.month}월 {t.day}일 {t:%H:%M}",
    "km": lambda t, z: f"{t.day} {_KM_MONTHS[t.month - 1]} {t.year} ម៉ោង {t:%H:%M}".translate(
        _KM_DIGITS
    ),
}


def render_dates(body: bytes, now: datetime) -> bytes:
    """`body` with each `{{ago:AGE}}` or `{{ago:AGE:FORMAT}}` replaced by the moment AGE before `now`.

    AGE is a sum of whole days, hours, minutes and seconds: `3d`, `2h`, `4d21h30m`. FORMAT is one
    of the forms below, optionally followed by the zone the date is printed in (`Z`, `+09:00`,
    `-05:00`; UTC when left out), for `now` = Wed 25 Nov 2026 00:00 UTC and AGE `1d15h`:

    - `rfc822` (the default; RSS pubDate, HTTP dates): `Mon, 23 Nov 2026 09:00:00 GMT`, and with
      a zone `rfc822+07:00`: `Mon, 23 Nov 2026 16:00:00 +0700`
    - `iso` (sitemaps, JSON-LD, meta tags): `2026-11-23T09:00:00+00:00`; `iso+09:00`:
      `2026-11-23T18:00:00+09:00`; `isoZ`: `2026-11-23T09:00:00Z`
    - `date`: `2026-11-23` (the day in that zone); `long`: `23 November 2026`
    - `gdelt` (the GDELT API's seendate, always UTC): `20261123T090000Z`
    - `ko+09:00`: `2026년 11월 23일 18:00`; `km+07:00`: `២៣ វិច្ឆិកា ២០២៦ ម៉ោង ១៦:០០` (UTF-8)

    Seconds are whole. A server passes the moment it started as `now`, so a page asked for twice is
    the same page (its ETag holds) and a feed entry's date agrees with its page's. Dates that must
    stay old (an item from 2019) or in the future (2099) are written as they are.
    """

    def one(match: re.Match[bytes]) -> bytes:
        age = timedelta()
        for amount, unit in re.findall(rb"(\d+)([dhms])", match.group(1)):
            age += timedelta(**{_UNITS[unit]: int(amount)})
        form = (match.group(2) or b"rfc822").decode()
        if form not in _FORMATS:
            raise ValueError(f"unknown date format {form!r} in {match.group(0)!r}")
        zone = match.group(3).decode() if match.group(3) else None
        tz = (
            UTC
            if zone in (None, "Z")
            else timezone(timedelta(hours=int(zone[:3]), minutes=int(zone[0] + zone[4:])))
        )
        when = (now - age).astimezone(tz).replace(microsecond=0)
        return _FORMATS[form](when, zone).encode()

    return _AGO.sub(one, body)
