"""Extraction on recorded real pages from ../shared (skipped without it, a failure in CI)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from digest.analysis.extract import extract_article


def test_kbs_world_page_date_from_its_written_label(shared: Path) -> None:
    folder = shared / "fixtures" / "kbs-world"
    expected = json.loads(next(folder.glob("*.expected.json")).read_text(encoding="utf-8"))
    url, meta = next(iter(expected.items()))
    article = extract_article((folder / meta["file"]).read_bytes(), url)
    assert article.title == meta["title"]  # "… l KBS WORLD" stripped
    assert article.published == datetime(2023, 11, 7, 6, 3, 30, tzinfo=UTC)  # KST, a .kr site
    assert article.date_source == "page"
    for phrase in meta["with"]:
        assert phrase in article.text
    for phrase in meta["without"]:
        assert phrase not in article.text


def test_korean_page_language_and_body(shared: Path) -> None:
    folder = shared / "fixtures" / "korean-language" / "donga"
    article = extract_article(
        (folder / "test_donga_korean.html").read_bytes(),
        "http://news.donga.com/3/all/20131023/58406128/1",
    )
    assert article.lang == "ko"
    assert "시험인증" in article.text
    assert article.canonical_url.startswith("https://news.donga.com/")
