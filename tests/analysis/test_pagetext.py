"""Page bytes to text without Scrapy: declared charsets the bytes prove wrong are detected and
reported, and binary is told from text on the decoded characters."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.fetch.pagetext import looks_binary, page_text
from tests.support.badsite import PNG

PAGES = Path(__file__).parents[1] / "badinput" / "a"
KOREAN = "캄보디아 근로자 고용허가제 쿼터 확대"


@pytest.mark.parametrize(
    ("content_type", "meta"),
    [
        ("text/html; charset=utf-8", ""),
        ("text/html; charset=ISO-8859-1", ""),
        ("text/html; charset=windows-1252", ""),
        ("text/html", '<meta charset="utf-8">'),
        ("text/html", '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'),
    ],
)
def test_euc_kr_under_a_wrong_declaration_is_read_as_korean(content_type: str, meta: str) -> None:
    body = (PAGES / "euckr-nodecl.html").read_bytes().replace(b"<head>", b"<head>" + meta.encode())
    page = page_text(body, content_type)
    assert KOREAN in page.text
    assert page.encoding == "cp949" and page.corrected


@pytest.mark.parametrize("content_type", ["text/html; charset=euc-kr", "text/html"])
def test_a_right_or_missing_declaration_is_no_correction(content_type: str) -> None:
    page = page_text((PAGES / "euckr-nodecl.html").read_bytes(), content_type)
    assert KOREAN in page.text and page.corrected == ""


def test_latin1_that_is_latin1_stays_as_declared() -> None:
    page = page_text((PAGES / "latin1-french.html").read_bytes(), "text/html; charset=iso-8859-1")
    assert "la Corée signent un accord à Phnom Penh" in page.text and page.corrected == ""


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-16le", "text/html"])
def test_utf16le_without_a_mark_is_text(content_type: str) -> None:
    page = page_text((PAGES / "utf16le-nobom.html").read_bytes(), content_type)
    assert "Cambodia and Korea UTF-16LE story" in page.text
    assert not looks_binary(page.text)


def test_binary_is_told_from_text_with_a_stray_nul() -> None:
    assert looks_binary(page_text(PNG * 40, "text/html").text)
    assert looks_binary(page_text(PNG * 40, "text/html; charset=utf-8").text)
    assert not looks_binary(page_text((PAGES / "nul-title.html").read_bytes(), "text/html").text)
    assert not looks_binary("")
