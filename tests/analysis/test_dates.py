from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digest.analysis.dates import find_dates, fold_digits, parse_date, parse_iso


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        # Korean dates are read in Seoul time (UTC+9)
        ("2025년 10월 14일", "ko", datetime(2025, 10, 13, 15, 0, tzinfo=UTC)),
        ("2025.10.14 15:30", "ko", datetime(2025, 10, 14, 6, 30, tzinfo=UTC)),
        ("입력 2025-10-14 09:12", "ko", datetime(2025, 10, 14, 0, 12, tzinfo=UTC)),
        (
            "기사입력 : 2025년 08월 18일 오후 3시 05분",
            "ko",
            datetime(2025, 8, 18, 6, 5, tzinfo=UTC),
        ),
        # Khmer digits and month names, read in Phnom Penh time (UTC+7)
        ("ថ្ងៃទី១៤ ខែតុលា ឆ្នាំ២០២៥", "km", datetime(2025, 10, 13, 17, 0, tzinfo=UTC)),
        ("១៤ តុលា ២០២៥ ម៉ោង ០៩:៣០", "km", datetime(2025, 10, 14, 2, 30, tzinfo=UTC)),
        ("២០២៥-០១-០៥", "km", datetime(2025, 1, 4, 17, 0, tzinfo=UTC)),
        # stamps with their own zone keep it
        ("2019-08-20T09:31:01+09:00", "", datetime(2019, 8, 20, 0, 31, 1, tzinfo=UTC)),
        ("Nov. 20, 2026", "en", datetime(2026, 11, 20, tzinfo=UTC)),
    ],
)
def test_dates_outlets_print(text: str, lang: str, expected: datetime) -> None:
    assert parse_date(text, lang) == expected


def test_update_stamps_are_not_publication_dates() -> None:
    found = find_dates("입력 2025.10.14 09:12 수정 2025.10.15 10:00", "ko")
    assert found == [datetime(2025, 10, 14, 0, 12, tzinfo=UTC)]


def test_khmer_digits_fold_to_ascii() -> None:
    assert fold_digits("០១២៣៤៥៦៧៨៩") == "0123456789"


def test_nonsense_is_none_not_an_error() -> None:
    assert parse_date("no date here at all", "en") is None
    assert parse_date("2025년 13월 45일", "ko") is None
    assert parse_iso("yesterday") is None
