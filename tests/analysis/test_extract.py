from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from digest.analysis.extract import extract_article
from digest.fetch.localsite import render_dates

SITE = Path(__file__).parents[1] / "onesite"
SITE_NOW = datetime(
    2026, 11, 21, tzinfo=UTC
)  # the moment tests/onesite's date placeholders count back from


def _page(name: str, base: str) -> str:
    """A page of tests/onesite as its server sends it, had the server started at `SITE_NOW`."""
    raw = (SITE / name).read_bytes().replace(b"{BASE}", base.encode())
    return render_dates(raw, SITE_NOW).decode("utf-8")


def test_page_written_for_tests() -> None:
    html = _page("fta-talks.html", "https://gazette.test")
    article = extract_article(html, "https://gazette.test/fta-talks.html?utm_source=x")
    assert article.title == "Seoul and Phnom Penh open talks on wider FTA"
    assert article.published == datetime(2026, 11, 18, 1, 0, tzinfo=UTC)
    assert article.date_source == "meta"
    assert "free trade agreement" in article.text
    assert "Test Gazette" not in article.text  # header and footer are not body
    assert article.lang == "en"
    assert article.canonical_url == "https://gazette.test/fta-talks.html"


def test_korean_page_language() -> None:
    html = _page("workers-ko.html", "https://g.test")
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


BYLINE_PAGE = """<!doctype html><html lang="ko"><head><meta charset="utf-8">
<title>한-캄 노동 협력 확대</title></head><body><article><h1>한-캄 노동 협력 확대</h1>
<div class="byline">김수정 기자 입력 2025.10.14 15:30 수정 2025.10.15 09:00</div>
<p>한국 정부와 캄보디아 정부는 14일 서울에서 고용허가제에 따른 노동자 송출을 확대하기로 합의했다.
양국 장관은 이날 계절근로자 제도 개선 방안도 논의했다고 노동부가 밝혔다.</p>
<p>캄보디아에서 한국으로 오는 노동자는 매년 늘고 있으며 현재 약 5만 명이 한국에서 일하고 있다.
정부는 노동자 보호를 위한 상담 창구도 프놈펜에 새로 열 계획이라고 덧붙였다.</p>
</article></body></html>"""


def test_korean_byline_gives_name_published_and_updated() -> None:
    article = extract_article(BYLINE_PAGE, "https://news.example.kr/a/1")
    assert article.published == datetime(2025, 10, 14, 6, 30, tzinfo=UTC)  # 15:30 in Seoul
    assert article.updated == datetime(2025, 10, 15, 0, 0, tzinfo=UTC)  # the 수정 stamp
    assert article.authors == ["김수정"]  # no label, stamp or role; 수정 inside a name stays


def test_labelled_update_stamp_in_english() -> None:
    html = (
        "<html><head><title>Cambodia and Korea sign deal</title></head><body><article>"
        "<h1>Cambodia and Korea sign deal</h1>"
        '<p class="date">Published: Dec 20, 2022 Last Modified: Dec 22, 2022 '
        "<script>var x = 1;</script></p>"
        + "<p>Cambodia and South Korea signed a labour agreement in Phnom Penh on Tuesday.</p>" * 3
        + "</article></body></html>"
    )
    article = extract_article(html, "https://news.example.com/deal")
    assert article.updated == datetime(2022, 12, 22, tzinfo=UTC)


def _story(head_line: str) -> str:
    return (
        "<html><head><title>Korea and Cambodia open a labour desk</title></head><body><article>"
        f"<h1>Korea and Cambodia open a labour desk</h1>{head_line}"
        + "<p>Officials from Seoul and Phnom Penh opened a desk for migrant workers on Monday.</p>"
        * 3
        + "</article></body></html>"
    )


def test_update_stamp_split_across_elements_is_read_as_shown() -> None:
    # Date and time in separate nodes, as a CMS prints them: "2019 7:16", not "20197:16"
    line = (
        '<div class="story-time"><time>Updated Tue, Nov 19 2019<span class="sep"></span>'
        "7:16 AM</time></div>"
    )
    article = extract_article(_story(line), "https://news.example.com/desk")
    assert article.updated == datetime(2019, 11, 19, 7, 16, tzinfo=UTC)


def test_script_inside_a_date_line_is_not_read_as_a_stamp() -> None:
    line = (
        '<p class="post-date">Published: <script>var built = "2001-01-01";</script>Dec 20, 2022</p>'
        '<p class="post-date">Updated: <script>var cached = "2001-02-02";</script>Dec 22, 2022</p>'
    )
    article = extract_article(_story(line), "https://news.example.com/desk")
    assert article.published == datetime(2022, 12, 20, tzinfo=UTC)
    assert article.date_source == "page"
    assert article.updated == datetime(2022, 12, 22, tzinfo=UTC)


def test_beautifulsoup_is_built_only_for_selectors(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import digest.analysis.extract

    built: list[str] = []
    real = digest.analysis.extract.BeautifulSoup

    def counting(markup, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(markup)
        return real(markup, *args, **kwargs)

    monkeypatch.setattr(digest.analysis.extract, "BeautifulSoup", counting)
    # No declared date: the labelled, the dated-element and the update searches all run
    article = extract_article(BYLINE_PAGE, "https://news.example.kr/a/1")
    assert article.published is not None and article.updated is not None
    assert built == []
    article = extract_article(BYLINE_PAGE, "https://news.example.kr/a/1", {"title": "h1"})
    assert article.title == "한-캄 노동 협력 확대"
    assert len(built) == 1
