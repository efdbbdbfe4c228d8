from __future__ import annotations

import pytest

from digest.analysis.urls import canonical_url, link_problem, reader_link


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        (
            "http://www.khmertimeskh.com/501234567/story/",
            "https://khmertimeskh.com/501234567/story/",
        ),
        (
            "https://www.khmertimeskh.com/501234567/story/?utm_source=fb&utm_medium=x&fbclid=abc",
            "https://khmertimeskh.com/501234567/story/",
        ),
        (
            "https://www.koreatimes.co.kr/www/nation/2022/07/501_333483.html?fl",
            "https://koreatimes.co.kr/www/nation/2022/07/501_333483.html",
        ),
        (
            "https://EN.YNA.CO.KR/view/AEN20190820002300325#top",
            "https://en.yna.co.kr/view/AEN20190820002300325",
        ),
    ],
)
def test_variants_share_one_key(variant: str, expected: str) -> None:
    assert canonical_url(variant) == expected


def test_query_that_identifies_the_page_is_kept() -> None:
    url = "https://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=181595"
    assert "Seq_Code=181595" in canonical_url(url)


def test_declared_canonical_wins_on_the_same_site_only() -> None:
    page = "https://en.yna.co.kr/view/AEN20190820002300325?section=nk/nk"
    assert canonical_url(page, "/view/AEN20190820002300325") == (
        "https://en.yna.co.kr/view/AEN20190820002300325"
    )
    # a page cannot claim another site's URL as its identity
    assert canonical_url(page, "https://evil.example/x").startswith("https://en.yna.co.kr/")


@pytest.mark.parametrize(
    ("variant", "desktop"),
    [
        (
            "https://m.koreaherald.com/amp/view.php?ud=20240516050623",
            "https://www.koreaherald.com/view.php?ud=20240516050623",
        ),
        (
            "https://m-en.yna.co.kr/view/AEN20191125001200320",
            "https://en.yna.co.kr/view/AEN20191125001200320",
        ),
        (
            "https://biz.chosun.com/en/2025/10/18/X/?outputType=amp",
            "https://biz.chosun.com/en/2025/10/18/X/",
        ),
        (
            "https://www.donga.com/news/amp/all/20010329/7669423/1",
            "https://www.donga.com/news/all/20010329/7669423/1",
        ),
        ("https://amp.gazette.test/story.amp.html", "https://gazette.test/story.html"),
        (
            "http://khmernz.blogspot.com/2009/06/x.html?m=1",
            "https://khmernz.blogspot.com/2009/06/x.html",
        ),
        ("http://www01.koreaherald.com/view.php?ud=1", "https://koreaherald.com/view.php?ud=1"),
    ],
)
def test_amp_and_mobile_variants_are_one_story(variant: str, desktop: str) -> None:
    assert canonical_url(variant) == canonical_url(desktop)


def test_page_names_that_merely_contain_amp_are_kept() -> None:
    url = "https://cm.asiae.co.kr/ampview.htm?no=2011112909454653201"
    assert canonical_url(url) == url


@pytest.mark.parametrize(
    ("fetched", "shown"),
    [
        # tracking dropped; scheme, host and the identifying parameter stay as fetched
        (
            "http://www.koreaherald.com/view.php?ud=20251014000123&utm_source=rss&fbclid=x1",
            "http://www.koreaherald.com/view.php?ud=20251014000123",
        ),
        (
            "https://m-en.yna.co.kr/view/AEN2025?utm_medium=feed",
            "https://m-en.yna.co.kr/view/AEN2025",
        ),
        # nothing to drop: the address is shown exactly as it was, encoding included
        ("https://www.khmertimeskh.com/501234567/a-b/?p=1&q=%ED%95%9C", None),
        ("https://www.khmertimeskh.com/501234567/a-b/", None),
    ],
)
def test_reader_link_is_the_fetched_address_without_tracking(
    fetched: str, shown: str | None
) -> None:
    assert reader_link(fetched) == (shown or fetched)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://news.test/a.html", ""),
        ("http://127.0.0.1:8080/a", ""),
        ("http://[::1]:8080/a", ""),
        ("https://한국.test/기사", ""),
        ("http://under_score.test/a", ""),
        ("http://127.0.0.1:99999999/a", "Port out of range 0-65535"),
        ("http://news.test:abc/a", "Port could not be cast to integer value as 'abc'"),
        ("http://news.test:0/a", "port 0"),
        ("http://a b.test/a", "invalid host 'a b.test'"),
        ("http://a%zz.test/a", "invalid host 'a%zz.test'"),
        ("http://[::1/a", "Invalid IPv6 URL"),
        ("http:///a", "no host"),
        ("ftp://news.test/a", "not an http(s) address: ftp"),
    ],
)
def test_link_problem_names_what_no_request_can_be_made_for(url: str, problem: str) -> None:
    assert link_problem(url) == problem


@pytest.mark.parametrize(
    "declared", ["http://[::1/x", "https://news.test:99999999/x", "http://a b.test/x"]
)
def test_a_malformed_declared_canonical_is_ignored(declared: str) -> None:
    """A page's own rel=canonical raised in extraction (the article was lost); now ignored."""
    assert canonical_url("https://news.test/a?utm_source=x", declared) == "https://news.test/a"


def test_a_malformed_address_is_its_own_key() -> None:
    assert canonical_url("http://news.test:99999999/a") == "http://news.test:99999999/a"
