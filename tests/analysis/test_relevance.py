from __future__ import annotations

import pytest

from digest.analysis.relevance import load_rules, score

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


# Negatives that dominate a real crawl: both countries named, but not a story about their relations.
@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Rice exports climb in first half",
            "Cambodia shipped rice to China, Japan, South Korea, Malaysia and the Philippines. "
            "Millers in Battambang expect a better harvest next year.",
        ),
        (
            "Foreign arrivals rise 20 per cent",
            "Cambodia received visitors from Thailand, Vietnam, China, South Korea and the US "
            "in the first quarter. Siem Reap hotels reported higher occupancy.",
        ),
        (
            "ASEAN Plus Three leaders pledge food security cooperation",
            "Leaders of ASEAN and China, Japan and South Korea met in Phnom Penh, Cambodia on Saturday. "
            "They adopted a statement on food security. Yoon Suk Yeol said Seoul would fund a rice reserve.",
        ),
        (
            "Pyongyang's envoy meets Cambodian officials",
            "North Korea's ambassador met Cambodia's foreign minister in Phnom Penh. "
            "The DPRK and Cambodia discussed the Korean Peninsula.",
        ),
        (
            "한국 수출 중국·미국 증가",
            "한국의 수출이 중국, 미국, 일본, 베트남, 캄보디아 등으로 늘었다.",
        ),
    ],
)
def test_passing_mentions_are_not_relations(title: str, text: str) -> None:
    verdict = score(title, text, RULES)
    assert not verdict.relevant, verdict


def test_list_mentions_are_marked_in_the_evidence() -> None:
    verdict = score(
        "Exports rise", "Cambodia sold rice to China, Japan and South Korea this year.", RULES
    )
    assert any(e.get("as") == "listed" for e in verdict.evidence)


def test_korean_particles_and_body_proximity() -> None:
    # neither country in the title: one sentence naming both carries it
    verdict = score(
        "이주노동자 송출 확대",
        "정부는 올해 노동자 송출을 늘린다. 캄보디아에서 온 노동자들이 한국의 농촌에서 일하게 된다. "
        "관계자는 캄보디아 정부와 협의했다고 말했다.",
        RULES,
    )
    assert verdict.relevant, verdict
    assert any(e["country"] == "both" for e in verdict.evidence)


def test_multilateral_page_needs_a_cambodian_angle() -> None:
    venue_only = score(
        "Yoon presents Indo-Pacific strategy at ASEAN summit",
        "President Yoon Suk Yeol spoke at the Korea-ASEAN summit held in Phnom Penh, Cambodia. "
        "He called for supply chain resilience.",
        RULES,
    )
    angle = score(
        "Yoon meets Hun Manet on the sidelines of ASEAN summit",
        "President Yoon Suk Yeol and Cambodian Prime Minister Hun Manet agreed to expand the EDCF. "
        "Cambodia will host a Korean industrial zone.",
        RULES,
    )
    assert not venue_only.relevant
    assert angle.relevant


def test_bilateral_outlet_needs_only_one_country() -> None:
    text = "Workers left for jobs in Korea on Monday, the labour ministry said."
    assert score("Workers depart", text, RULES, bilateral=True).relevant
    assert not score("Workers depart", text, RULES).relevant


def test_rule_file_errors_name_the_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from digest.errors import ConfigError

    bad = tmp_path / "rules.toml"
    bad.write_text('[cambodia]\nen = "Cambodia"\n[korea]\nen = ["Korea"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[cambodia\]"):
        load_rules(bad)


def test_masked_north_korea_terms_are_in_the_evidence() -> None:
    verdict = score(
        "캄보디아 총리, 북한 대사 접견",
        "훈마넷 총리는 프놈펜에서 평양에서 온 북한 대사를 만났다. 한반도 정세도 논의했다.",
        RULES,
    )
    assert not verdict.relevant
    masked = [e for e in verdict.evidence if e.get("as") == "masked"]
    assert {t for e in masked for t in e["terms"]} == {"북한", "평양", "한반도"}
    assert all(e["country"] == "not_south_korea" for e in masked)
    assert not any(e["country"] == "korea" for e in verdict.evidence)
