"""Tests hold on any date: the loopback servers render fixture dates relative to the moment they
start (`render_dates`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digest.dates import parse_date
from digest.localsite import render_dates

NOW = datetime(2026, 11, 25, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("placeholder", "rendered"),
    [
        ("{{ago:1d15h}}", "Mon, 23 Nov 2026 09:00:00 GMT"),
        ("{{ago:1d15h:rfc822}}", "Mon, 23 Nov 2026 09:00:00 GMT"),
        ("{{ago:1d15h:rfc822+07:00}}", "Mon, 23 Nov 2026 16:00:00 +0700"),
        ("{{ago:1d15h:iso}}", "2026-11-23T09:00:00+00:00"),
        ("{{ago:1d15h:isoZ}}", "2026-11-23T09:00:00Z"),
        ("{{ago:1d15h:iso+09:00}}", "2026-11-23T18:00:00+09:00"),
        ("{{ago:4d21h30m:iso-05:00}}", "2026-11-19T21:30:00-05:00"),
        ("{{ago:10s:iso}}", "2026-11-24T23:59:50+00:00"),
        ("{{ago:1d15h:date}}", "2026-11-23"),
        ("{{ago:1d:date-05:00}}", "2026-11-23"),  # the day as a reader in that zone sees it
        ("{{ago:1d15h:long+07:00}}", "23 November 2026"),
        ("{{ago:1d15h:gdelt}}", "20261123T090000Z"),
        ("{{ago:1d15h:ko+09:00}}", "2026년 11월 23일 18:00"),
        ("{{ago:1d15h:km+07:00}}", "២៣ វិច្ឆិកា ២០២៦ ម៉ោង ១៦:០០"),
    ],
)
def test_placeholders_render_relative_to_the_servers_start(placeholder: str, rendered: str) -> None:
    page = f"<p>{placeholder}</p>".encode()
    assert render_dates(page, NOW).decode() == f"<p>{rendered}</p>"


def test_korean_and_khmer_forms_read_back_as_the_same_moment() -> None:
    moment = NOW - timedelta(days=1, hours=15)
    for form, lang in (("ko+09:00", "ko"), ("km+07:00", "km")):
        text = render_dates(f"{{{{ago:1d15h:{form}}}}}".encode(), NOW).decode()
        assert parse_date(text, lang) == moment, text


def test_absolute_dates_and_other_braces_are_left_alone() -> None:
    page = b"<pubDate>Tue, 10 Sep 2019 05:00:00 +0000</pubDate> {BASE} {{ago:}} {{ago:3x}}"
    assert render_dates(page, NOW) == page


def test_an_unknown_form_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown date format 'rss'"):
        render_dates(b"{{ago:1d:rss}}", NOW)
