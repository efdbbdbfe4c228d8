"""Dates as outlets print them: ISO stamps, Korean (2025년 10월 14일, 입력 2025.10.14 15:30) and Khmer
(Khmer digits ០–៩ and month names), turned into aware UTC datetimes.

Structured stamps go through `datetime.fromisoformat`; free text through a few patterns for the
forms Korean and Khmer outlets use, then dateparser for the rest. A date without a time zone is
read in the outlet's zone (Korean pages: Asia/Seoul; Khmer pages: Asia/Phnom_Penh).
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

KST = ZoneInfo("Asia/Seoul")
ICT = ZoneInfo("Asia/Phnom_Penh")
ZONE_BY_LANG = {"ko": KST, "km": ICT}

_KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
# Khmer months (solar calendar names, with the common spelling variants).
KHMER_MONTHS = {
    "មករា": 1,
    "កុម្ភៈ": 2,
    "កុម្ភះ": 2,
    "មីនា": 3,
    "មេសា": 4,
    "ឧសភា": 5,
    "មិថុនា": 6,
    "កក្កដា": 7,
    "សីហា": 8,
    "កញ្ញា": 9,
    "តុលា": 10,
    "វិច្ឆិកា": 11,
    "ធ្នូ": 12,
}
_KM_MONTH = "|".join(sorted(KHMER_MONTHS, key=len, reverse=True))
_TIME = r"(?:\D{0,12}?(\d{1,2})\s*[:시]\s*(\d{2})(?:\s*[:분]\s*(\d{2}))?)?"

# 2025년 10월 14일 [오후] 3시 30분 | 2025년 10월 14일 15:30
_KO_LONG = re.compile(
    r"(\d{4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일\s*(?:\([월화수목금토일]\))?\s*(오전|오후)?"
    + _TIME
)
# 2025.10.14 15:30 | 2025-10-14 09:12 | 2025/10/14 (Korean "입력"/"수정" prefixes are ignored)
_NUMERIC = re.compile(
    r"(?<!\d)(\d{4})\s*[.\-/]\s*(\d{1,2})\s*[.\-/]\s*(\d{1,2})\.?(?!\d)\s*(오전|오후|AM|PM)?"
    + _TIME,
    re.IGNORECASE,
)
# ថ្ងៃទី១៤ ខែតុលា ឆ្នាំ២០២៥ (after digit folding: ថ្ងៃទី14 ខែតុលា ឆ្នាំ2025)
_KM_LONG = re.compile(
    rf"(\d{{1,2}})\s*(?:ខែ\s*)?({_KM_MONTH})\s*(?:ឆ្នាំ\s*)?(\d{{4}})" + _TIME.replace("[:시]", ":")
)
# Labels that say a stamp is the update, not the publication (longest first: one alternation).
UPDATED_LABELS = (
    "last updated",
    "last modified",
    "updated",
    "update",
    "modified",
    r"최종\s*수정",
    "기사수정",
    "수정",
    "업데이트",
    "កែសម្រួល",
    "កែប្រែ",
)
_UPDATED = re.compile(rf"({'|'.join(UPDATED_LABELS)})\s*[:：]?\s*$", re.IGNORECASE)


def zone_for(lang: str = "", url: str = "") -> ZoneInfo | None:
    """The zone a stamp without one is read in: by language, else by the site's country domain."""
    if lang in ZONE_BY_LANG:
        return ZONE_BY_LANG[lang]
    host = (re.split(r"/+", url + "//")[1] or "").split(":")[0].lower()
    if host.endswith(".kr"):
        return KST
    if host.endswith(".kh"):
        return ICT
    return None


def fold_digits(text: str) -> str:
    """Khmer digits to ASCII digits (០១២ → 012)."""
    return text.translate(_KHMER_DIGITS)


def parse_iso(value: str, default_tz: ZoneInfo | None = None) -> datetime | None:
    """An ISO 8601 stamp as aware UTC; a stamp without zone is read in `default_tz` (else None)."""
    text = fold_digits(value.strip())
    if not text:
        return None
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text.replace("Z", "+00:00"))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return _aware(parsed, default_tz)


def parse_date(text: str, lang: str = "", default_tz: ZoneInfo | None = None) -> datetime | None:
    """The first date in a short text (a byline, a meta value), as aware UTC; None if none.

    A date alone (no time) is taken at midnight in the outlet's zone.
    """
    tz = default_tz or ZONE_BY_LANG.get(lang)
    folded = fold_digits(text)
    found = parse_iso(folded, tz) or _patterns(folded, tz)
    if found is not None:
        return found
    return _dateparser(folded, lang, tz)


def find_dates(text: str, lang: str = "", default_tz: ZoneInfo | None = None) -> list[datetime]:
    """Every Korean/Khmer/numeric date stamp in a longer text, in order, without update stamps."""
    tz = default_tz or ZONE_BY_LANG.get(lang)
    folded = fold_digits(text)
    hits: list[tuple[int, datetime]] = []
    for pattern in (_KO_LONG, _NUMERIC, _KM_LONG):
        for match in pattern.finditer(folded):
            if _UPDATED.search(folded[max(0, match.start() - 12) : match.start()]):
                continue
            when = _from_match(pattern, match, tz)
            if when is not None:
                hits.append((match.start(), when))
    return [when for _, when in sorted(hits, key=lambda h: h[0])]


def _patterns(text: str, tz: ZoneInfo | None) -> datetime | None:
    found = find_dates(text, default_tz=tz)
    return found[0] if found else None


def _from_match(pattern: re.Pattern[str], m: re.Match[str], tz: ZoneInfo | None) -> datetime | None:
    if pattern is _KM_LONG:
        day, month, year = int(m.group(1)), KHMER_MONTHS[m.group(2)], int(m.group(3))
        meridiem, hour, minute, second = None, m.group(4), m.group(5), m.group(6)
    else:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        meridiem, hour, minute, second = m.group(4), m.group(5), m.group(6), m.group(7)
    h = int(hour) if hour else 0
    if meridiem and meridiem.lower() in ("오후", "pm") and h < 12:
        h += 12
    if meridiem and meridiem.lower() in ("오전", "am") and h == 12:
        h = 0
    try:
        naive = datetime(year, month, day, h, int(minute or 0), int(second or 0))
    except ValueError:
        return None
    if not 1990 <= year <= 2100:
        return None
    return _aware(naive, tz)


def _dateparser(text: str, lang: str, tz: ZoneInfo | None) -> datetime | None:
    import dateparser  # slow to import; only needed for forms the patterns do not cover

    settings = {"RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first"}
    with warnings.catch_warnings():  # dateparser warns about its own regex use on some stacks
        warnings.simplefilter("ignore")
        parsed = dateparser.parse(
            text[:200], languages=[lang] if lang in ("en", "ko", "km") else None, settings=settings
        )
    if parsed is None or not 1990 <= parsed.year <= 2100:
        return None
    return _aware(parsed, tz)


def _aware(value: datetime, tz: ZoneInfo | None) -> datetime | None:
    if value.tzinfo is None:
        if tz is None:
            return value.replace(tzinfo=UTC)
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)  # before the web's news sites: no real article date


def plausible(when: datetime | None, now: datetime | None = None) -> bool:
    """Not in the future (beyond a day of clock skew) and not before the web."""
    if when is None:
        return False
    now = now or datetime.now(UTC)
    return EARLIEST <= when <= now + timedelta(days=1)
