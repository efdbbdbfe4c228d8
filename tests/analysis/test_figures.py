"""Figures read alike in three languages, and translations linked by them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from digest.analysis import dedupe
from digest.analysis.dedupe import Deduper
from digest.analysis.figures import figures, same_figures
from digest.cli import cli

# A story and its translation, written for these tests.
ENGLISH = (
    "Korea lends Cambodia $245 million for Mekong bridge\n"
    "SEOUL, March 3 -- South Korea will lend Cambodia $245 million to build a bridge over the "
    "Mekong in Phnom Penh, the finance ministry said Tuesday. The loan comes from a framework of "
    "$1.5 billion for 2022-2026. About 3,400 workers will build the 2,100-meter bridge, and some "
    "120,000 vehicles are expected to cross it each day. Korea has lent Cambodia $1.95 billion "
    "since 2001, the ministry said."
)
KOREAN = (
    "한국, 캄보디아 메콩강 교량에 2억4천500만 달러 차관\n"
    "기획재정부는 3일 캄보디아 프놈펜의 메콩강 교량 건설에 2억4천500만 달러를 빌려준다고 밝혔다. "
    "이번 차관은 2022∼2026년 15억 달러 규모의 기본약정에 따른 것이다. 근로자 약 3천400명이 "
    "길이 2,100m의 다리를 짓고, 하루 12만 대의 차량이 이용할 것으로 예상된다. 한국은 2001년 이후 "
    "캄보디아에 모두 19억5천만 달러를 빌려줬다고 기재부는 설명했다."
)
# Another report of the same event: the loan and the framework, then figures of its own.
OTHER_REPORT_KO = (
    "캄보디아, 한국 차관으로 다리 건설\n"
    "캄보디아 정부는 한국의 2억4천500만 달러 차관과 15억 달러 기본약정을 환영했다. 공사비 일부는 "
    "3억2천만 달러의 도로 사업에도 쓰이며, 프놈펜 인구 230만 명의 교통난이 줄 것이라고 밝혔다. "
    "현지 업체 450곳이 참여를 신청했고 토지 보상에 1,800만 달러가 든다."
)


def test_figures_read_alike_in_english_korean_and_khmer() -> None:
    assert figures("$245 million, 3,400 workers, 120,000 cars and 1.5 billion") == [
        245e6,
        3400,
        120000,
        1.5e9,
    ]
    assert figures("2억4천500만 달러, 3천400명, 12만 대, 15억 달러, 5만 970명") == [
        245e6,
        3400,
        120000,
        1.5e9,
        50970,
    ]
    assert figures("ពលករ ៣០.០០០ នាក់ និង ៥ លាន ដុល្លារ", "km") == [30000, 5e6]
    # days, percentages, bare years and long identifiers are not figures of a story
    assert figures("On 14 October 2025, 9.5% of AEN20251014000300315 and 01012345678") == []


def test_same_figures_needs_the_same_order() -> None:
    a = [100.0, 200.0, 300.0, 400.0, 500.0]
    assert same_figures(a, list(a))
    assert not same_figures(a, [500.0, 400.0, 300.0, 200.0, 100.0])
    assert not same_figures(a, [100.0, 200.0, 300.0])  # three in common are not enough


def test_a_translation_joins_its_original_and_another_report_does_not() -> None:
    when = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
    deduper = Deduper()
    deduper.add(1, 1, ENGLISH, "en", when)
    assert deduper.match(KOREAN, lang="ko", published=when + timedelta(hours=2)) == 1
    assert deduper.match(OTHER_REPORT_KO, lang="ko", published=when) is None
    # without languages, or a week apart, or in the same language: no translation link
    assert deduper.match(KOREAN) is None
    assert deduper.match(KOREAN, lang="ko", published=when + timedelta(days=7)) is None
    assert deduper.match(KOREAN, lang="en", published=when) is None


def test_an_article_matched_then_indexed_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # ingest matches an article and then indexes it: one reading of its figures and MinHash
    calls: list[str] = []

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def count(*args: Any) -> Any:
            calls.append(name)
            return real(*args)

        return count

    monkeypatch.setattr(dedupe, "figures", counted("figures", dedupe.figures))
    monkeypatch.setattr(dedupe, "_minhash_of", counted("minhash", dedupe._minhash_of))
    when = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
    deduper = dedupe.Deduper()
    deduper.add(1, 1, ENGLISH, "en", when)
    assert deduper.match(KOREAN, lang="ko", published=when) == 1
    deduper.add(2, 1, KOREAN, "ko", when)
    assert calls == ["minhash", "figures"] * 2


def test_tag_puts_a_translation_in_its_original_cluster(tmp_path: Path) -> None:
    records = [
        {"id": "en", "url": "https://wire.test/en/1", "title": "", "text": ENGLISH, "lang": "en"},
        {"id": "ko", "url": "https://wire.test/ko/1", "title": "", "text": KOREAN, "lang": "ko"},
        {
            "id": "other",
            "url": "https://d.test/2",
            "title": "",
            "text": OTHER_REPORT_KO,
            "lang": "ko",
        },
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["tag", str(path)])
    assert result.exit_code == 0, result.output
    out = {o["id"]: o for o in map(json.loads, result.output.splitlines())}
    assert out["ko"]["cluster"] == out["en"]["cluster"] == "en"
    assert out["other"]["cluster"] == "other"


def test_explain_names_a_translation(tmp_path: Path) -> None:
    from digest.analysis.article import Article
    from digest.analysis.ingest import Analyzer, ingest
    from digest.store.engine import make_sessionmaker

    db = tmp_path / "ck.sqlite"
    sessions = make_sessionmaker(f"sqlite:///{db}")
    with sessions() as session:
        analyzer = Analyzer()
        for url, text, lang in (
            ("https://w.test/en", ENGLISH, "en"),
            ("https://w.test/ko", KOREAN, "ko"),
        ):
            art = Article(url=url, title="", text=text, lang=lang, canonical_url=url)
            ingest(art, session, analyzer, now=datetime(2026, 3, 3, tzinfo=UTC))
    config = tmp_path / "ckmon.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{db}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "explain", "https://w.test/ko"])
    assert result.exit_code == 0, result.output
    assert "cluster 1: 2 article(s)" in result.output
    assert "translation (same figures)" in result.output
