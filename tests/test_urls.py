from __future__ import annotations

import pytest

from digest.urls import canonical_url


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
