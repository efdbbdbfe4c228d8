from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from digest.extract import extract_article

SITE = Path(__file__).parent / "site"


def test_page_written_for_tests() -> None:
    html = (
        (SITE / "fta-talks.html")
        .read_text(encoding="utf-8")
        .replace("{BASE}", "https://gazette.test")
    )
    article = extract_article(html, "https://gazette.test/fta-talks.html?utm_source=x")
    assert article.title == "Seoul and Phnom Penh open talks on wider FTA"
    assert article.published == datetime(2026, 11, 18, 1, 0, tzinfo=UTC)
    assert article.date_source == "meta"
    assert "free trade agreement" in article.text
    assert "Test Gazette" not in article.text  # header and footer are not body
    assert article.lang == "en"
    assert article.canonical_url == "https://gazette.test/fta-talks.html"


def test_korean_page_language() -> None:
    html = (
        (SITE / "workers-ko.html").read_text(encoding="utf-8").replace("{BASE}", "https://g.test")
    )
    assert extract_article(html, "https://g.test/workers-ko.html").lang == "ko"


def test_broken_markup_does_not_raise() -> None:
    article = extract_article(b"<html><body><p>unclosed <div>\xff\xfe</p>", "https://x.test/a")
    assert article.url == "https://x.test/a"
    assert article.published is None


def test_recorded_yonhap_page(shared: Path) -> None:
    folder = shared / "fixtures" / "yonhap-en"
    expected = json.loads((folder / "yna_co_kr.metadata.json").read_text(encoding="utf-8"))
    article = extract_article((folder / "yna_co_kr.html").read_bytes(), expected["url"])
    # checked against the fixture's own ground truth
    assert article.title == expected["title"]
    assert article.published == datetime.fromisoformat(expected["publish_date"])
    assert article.canonical_url == expected["canonical_link"]
    assert article.lang == expected["language"]
    first_paragraph = expected["text"].split("\n")[0]
    assert first_paragraph.startswith("SEOUL, Aug. 20 (Yonhap) --")
    assert article.text.split("\n")[0] == first_paragraph
