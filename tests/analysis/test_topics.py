from __future__ import annotations

from pathlib import Path

import pytest

from digest.analysis.topics import load_taxonomy, tag, topic_scores

TAXONOMY = load_taxonomy()


def test_several_topics_apply_at_once() -> None:
    topics = tag(
        "KOICA funds hospital as Cambodian migrant workers head to Korea",
        "The Korea International Cooperation Agency will fund a hospital in Takeo. "
        "Separately, 500 Cambodian migrant workers left under the Employment Permit System.",
        TAXONOMY,
    )
    assert {"aid-development", "health", "labour-migration"} <= set(topics)


def test_a_weak_term_alone_is_not_enough() -> None:
    # "flight" suggests tourism but a repatriation flight is about crime
    topics = tag(
        "Scam suspects flown home",
        "Sixty suspects detained in a scam compound were flown home on a chartered flight. "
        "Police said they face fraud charges.",
        TAXONOMY,
    )
    assert "scams-crime" in topics
    assert "tourism-transport" not in topics


def test_korean_and_khmer_terms() -> None:
    assert "scams-crime" in tag(
        "캄보디아서 한국인 감금", "경찰은 취업사기 조직을 수사 중이다.", TAXONOMY
    )
    assert "labour-migration" in tag("ពលករកម្ពុជាទៅកូរ៉េ", "ពលករ ៥០០ នាក់", TAXONOMY)


def test_best_topic_when_none_reaches_the_threshold() -> None:
    title, text = "Officials meet", "The talks covered several questions. A project was discussed."
    scores = topic_scores(title, text, TAXONOMY)
    assert scores and max(scores.values()) < TAXONOMY.min_score
    assert tag(title, text, TAXONOMY) == [max(scores, key=lambda k: scores[k])]


def test_a_tie_goes_to_the_topic_with_more_distinct_terms() -> None:
    # One sentence: a job scam and confinement (crime) against the foreign ministry (diplomacy),
    # each scoring one sentence; the crime story must not fall to taxonomy order.
    title = "캄보디아서 한국인 12명 구출"
    text = "캄보디아에서 취업사기 조직에 감금됐던 한국인 12명이 구출됐다고 외교부가 23일 밝혔다."
    taxonomy = load_taxonomy()
    scores = topic_scores(title, text, taxonomy)
    assert scores["scams-crime"] == scores["diplomacy"] < taxonomy.min_score
    assert tag(title, text, taxonomy) == ["scams-crime"]


def test_a_longer_term_of_another_topic_claims_the_words() -> None:
    # "Korean language test" (labour) contains "Korean language" (education); the agency's name
    # contains "Cooperation" (a weak diplomacy term): neither shorter match may count.
    title = "Cambodians sit the Korean language test for jobs in Korea"
    text = (
        "About 20,000 Cambodians sat the Korean language test on Sunday. "
        "The Korea International Cooperation Agency paid for the exam halls."
    )
    scores = topic_scores(title, text, TAXONOMY)
    assert scores["labour-migration"] >= TAXONOMY.min_score
    assert "education-culture" not in scores
    assert "diplomacy" not in scores
    assert "aid-development" in scores
    # the same words outside the longer term still count for their own topic
    alone = topic_scores("Korean language classes open in Phnom Penh", "", TAXONOMY)
    assert alone["education-culture"] >= TAXONOMY.min_score


def test_korean_travel_advisory_words_are_tourism() -> None:
    for title in ("외교부, 캄보디아 일부 지역 여행금지 발령", "정부, 프놈펜 여행자제 권고"):
        assert "tourism-transport" in tag(title, "", TAXONOMY), title
    assert "tourism-transport" in tag("Seoul imposes travel ban on Bokor", "", TAXONOMY)


def test_one_pass_gives_the_sentence_by_sentence_points() -> None:
    """Topics read all sentences in one regex pass per pattern (and skip patterns none of whose
    words occur): the scores must equal those added up sentence by sentence, also for texts the
    shortcuts cannot take (a NUL in the text, a long s that ignore-case matching reads as "s")."""
    from digest.analysis.rules import split_zones
    from digest.analysis.topics import ZONE_WEIGHT

    texts = [
        "Cambodian migrant workers took the Korean language test. Migrant\nworkers arrived.",
        "Development cooperation grew.\x00 Korean language classes opened for migrant workers.",
        "A ſurgery at the new hoſpital went well. Police raided a ſcam compound.",
        "캄보디아 노동자들이 고용허가제로 입국했다. ពលករកម្ពុជាទៅកូរ៉េ។ KOICA funds a hospital.",
    ]
    for text in texts:
        zones = split_zones("Workers and students", text)
        expected: dict[str, float] = {}
        for name in TAXONOMY.topics:
            total = 0.0
            for zone, parts in zones.items():
                value = sum(_points_of_one_sentence(p).get(name, 0.0) for p in parts)
                value *= ZONE_WEIGHT[zone]
                total += min(value, TAXONOMY.body_cap if zone == "body" else 4.0)
            if total:
                expected[name] = round(total, 2)
        assert expected, text
        assert topic_scores("Workers and students", text, TAXONOMY) == expected, text
    assert "health" in topic_scores("", texts[2], TAXONOMY)  # only a long s names it


def _points_of_one_sentence(sentence: str) -> dict[str, float]:
    """The rule read on one sentence alone: 1 for a specific term, else 0.5 for a weak one; a match
    inside a longer match of another topic does not count."""
    from digest.analysis.topics import _claim

    hits = []
    for name, topic in TAXONOMY.topics.items():
        for pattern, value in ((topic.strong, 1.0), (topic.weak, 0.5)):
            if pattern is not None:
                hits.extend((name, value, m.start(), m.end()) for m in pattern.finditer(sentence))
    return _claim(hits)


@pytest.mark.parametrize("label", ['""', "3", '["a"]'])
def test_a_bad_label_names_the_file_and_topic(tmp_path: Path, label: str) -> None:

    from digest.errors import ConfigError

    path = tmp_path / "topics.toml"
    path.write_text(f'[diplomacy]\nlabel = {label}\nterms = ["ambassador"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"topics\.toml: 'label' of 'diplomacy'"):
        load_taxonomy(path)


def test_every_shipped_topic_has_a_label() -> None:

    taxonomy = load_taxonomy()
    assert set(taxonomy.labels) == set(taxonomy.topics) | {"other"}
    assert taxonomy.labels["other"] == "Other coverage"
    assert taxonomy.labels["trade-investment"] == "Trade & investment"
