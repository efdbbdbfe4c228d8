from __future__ import annotations

import pytest

from digest.relevance import load_rules, score

RULES = load_rules()


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Cambodia, South Korea agree to expand labour deal",
            "Phnom Penh and Seoul signed a memorandum.",
        ),
        (
            "캄보디아에서 한국인 관광객 구조",
            "프놈펜 주재 한국대사관은 캄보디아 경찰과 협력했다고 밝혔다.",
        ),
        ("កម្ពុជា និងកូរ៉េ ពង្រឹងកិច្ចសហប្រតិបត្តិការ", "ភ្នំពេញ៖ រដ្ឋមន្ត្រីការបរទេសកម្ពុជា បានជួបឯកអគ្គរាជទូតកូរ៉េ។"),
        # Khmer written with zero-width spaces between words, as many sites do
        ("កម្ពុជា\u200bនិង\u200bកូរ៉េ", "ភ្នំពេញ\u200b៖ ពលករ\u200bកម្ពុជា\u200bនៅ\u200bកូរ៉េ"),
    ],
)
def test_bilateral_stories_are_relevant(title: str, text: str) -> None:
    verdict = score(title, text, RULES)
    assert verdict.relevant, verdict
    assert {e["country"] for e in verdict.evidence} >= {"cambodia", "korea"}


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Cambodia's rice exports rise",
            "Phnom Penh exporters sold more rice to Europe this year.",
        ),
        (
            "North Korea fires missile",
            "Pyongyang launched a missile; Cambodia's foreign ministry said nothing.",
        ),
        ("북한, 캄보디아와 외교 관계 강화", "북한 대표단이 프놈펜을 방문했다."),
        ("Seoul stocks close higher", "The KOSPI rose 1 percent in Seoul on Tuesday."),
    ],
)
def test_one_country_or_north_korea_only_is_not(title: str, text: str) -> None:
    assert not score(title, text, RULES).relevant


def test_english_terms_match_whole_words_only() -> None:
    # "ROK" must not match inside "rocket"; "Khmer" must not match "Khmerica"
    verdict = score("Rocket launch in Khmerica", "A rocket in Khmerica.", RULES)
    assert verdict.score == 0


def test_title_weighs_more_than_a_passing_mention() -> None:
    title_hit = score("Cambodia and Korea talk trade", "Officials met.", RULES)
    body_hit = score("Officials met", "Officials met. Cambodia and Korea were mentioned.", RULES)
    assert title_hit.score > body_hit.score
