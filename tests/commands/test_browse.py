"""Browse, search, export and correct the store: `ckmon articles` and `ckmon mark`, through the
real command on SQLite and PostgreSQL, and what the digest and `ckmon explain` make of a mark."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from digest.config import load_config
from digest.deliver.edition import draft
from digest.listing import Filters, select_articles
from digest.store.engine import get_outlet, insert_article, make_sessionmaker
from digest.store.models import ArticleRow
from tests.support.cli import ckmon

NOW = datetime.now(UTC)
DAY = timedelta(days=1)
# (key, outlet, lang, relevant, topics, published, title, text); texts written for these tests.
ARTICLES = [
    ("garment", "gazette", "en", True, ["trade-investment"], NOW - DAY,
     "Korean investors open a garment plant in Cambodia",
     "A Korean company opened a garment plant near Phnom Penh that will employ 3,000 workers."),
    ("workers", "hankook", "ko", True, ["labour-migration"], NOW - 2 * DAY,
     "캄보디아 노동자 1천 명, 고용허가제로 한국行",
     "캄보디아에서 온 노동자 1천 명이 고용허가제를 통해 한국에 입국했다."),
    ("water", "khmerdaily", "km", True, ["aid-development"], NOW - 3 * DAY,
     "កូរ៉េផ្តល់ជំនួយទឹកស្អាតដល់កម្ពុជា",
     "ទីភ្នាក់ងារកូរ៉េបានផ្តល់ជំនួយដល់គម្រោងទឹកស្អាតនៅខេត្តកំពង់ចាម។"),
    ("rice", "gazette", "en", False, [], NOW - 20 * DAY,
     "Cambodian rice exports to Europe rise",
     "Cambodia's rice exports to the European Union rose by a tenth this year."),
]  # fmt: skip


def _workspace(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ckmon.toml beside a store holding ARTICLES; returns the config's path."""
    config = tmp_path / "ckmon.toml"
    config.write_text('[digest]\ntimezone = "Asia/Phnom_Penh"\n', encoding="utf-8")
    monkeypatch.setenv("CKMON_DATABASE_URL", store_url)  # read here and by the child processes
    with make_sessionmaker(store_url)() as session:
        for key, outlet, lang, relevant, topics, published, title, text in ARTICLES:
            insert_article(
                session,
                {
                    "canonical_url": f"https://{outlet}.test/{key}",
                    "url": f"https://{outlet}.test/{key}",
                    "outlet_id": get_outlet(session, outlet, outlet.title(), lang).id,
                    "title": title,
                    "text": text,
                    "lead": text,
                    "lang": lang,
                    "published_at": published,
                    "first_seen_at": NOW - timedelta(minutes=5),
                    "relevant": relevant,
                    "relevance_score": 9.0 if relevant else 2.0,
                    "topics": topics,
                },
            )
        session.commit()
    return config


def _ids(store_url: str) -> dict[str, int]:
    with make_sessionmaker(store_url)() as session:
        rows = session.query(ArticleRow.id, ArticleRow.canonical_url).all()
    return {url.rsplit("/", 1)[1]: article_id for article_id, url in rows}


def _keys(store_url: str, filters: Filters) -> list[str]:
    by_id = {v: k for k, v in _ids(store_url).items()}
    with make_sessionmaker(store_url)() as session:
        return [by_id[r["id"]] for r in select_articles(session, filters)]


def test_filters_select_the_articles(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _workspace(tmp_path, store_url, monkeypatch)
    assert _keys(store_url, Filters()) == ["garment", "workers", "water"]  # newest first
    assert _keys(store_url, Filters(relevant_only=False)) == [
        "garment",
        "workers",
        "water",
        "rice",
    ]
    assert _keys(store_url, Filters(since=NOW - 2 * DAY - timedelta(hours=1))) == [
        "garment",
        "workers",
    ]
    assert _keys(store_url, Filters(topic="labour-migration")) == ["workers"]
    assert _keys(store_url, Filters(lang="km")) == ["water"]
    assert _keys(store_url, Filters(outlet="gazette", relevant_only=False)) == ["garment", "rice"]
    assert _keys(store_url, Filters(search="캄보디아")) == ["workers"]  # inside 캄보디아에서
    assert _keys(store_url, Filters(search="កម្ពុជា")) == ["water"]
    assert _keys(store_url, Filters(search="Cambodia", relevant_only=False)) == [
        "garment",
        "rice",
    ]
    assert _keys(store_url, Filters(limit=1)) == ["garment"]
    assert _keys(store_url, Filters(marked_only=True)) == []


def test_articles_prints_a_table_and_exports_the_same_rows(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _workspace(tmp_path, store_url, monkeypatch)
    ids = _ids(store_url)
    table = ckmon(config, "articles", "--all")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["id", "date", "outlet"] and lines[-1] == "4 articles"
    rows = {int(line.split()[0]): line for line in lines[1:-1]}
    assert list(rows) == [ids["garment"], ids["workers"], ids["water"], ids["rice"]]
    published = (NOW - 2 * DAY).astimezone(load_config(config).digest.timezone)
    assert f"{published:%Y-%m-%d}  hankook" in rows[ids["workers"]]  # the local date
    assert "캄보디아 노동자" in rows[ids["workers"]] and " no " in rows[ids["rice"]]

    exported = ckmon(config, "articles", "--all", "--format", "jsonl")
    assert exported.returncode == 0, exported.stderr
    records = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [r["id"] for r in records] == list(rows)
    workers = records[1]
    assert workers["title"] == ARTICLES[1][6] and workers["lang"] == "ko"
    assert workers["topics"] == ["labour-migration"] and workers["relevant"] is True
    assert workers["outlet"] == "hankook" and workers["url"] == "https://hankook.test/workers"
    assert workers["marked"] is None

    as_csv = ckmon(config, "articles", "--all", "--format", "csv", "--search", "Cambodia")
    assert as_csv.returncode == 0, as_csv.stderr
    read = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [int(r["id"]) for r in read] == [ids["garment"], ids["rice"]]
    assert read[0]["topics"] == "trade-investment" and read[1]["relevant"] == "false"

    khmer = ckmon(config, "articles", "--search", "ទឹកស្អាត", "--format", "jsonl")
    assert [json.loads(line)["id"] for line in khmer.stdout.splitlines()] == [ids["water"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--outlet", "gazete"], "no outlet 'gazete' (did you mean 'gazette'?)"),
        (["--topic", "labour"], "no topic 'labour' (did you mean 'labour-migration'?)"),
        (["--since", "last week"], "'last week' is not a date"),
        (["--format", "xml"], "'xml' is not one of"),
    ],
)
def test_articles_refuses_what_it_does_not_know(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    config = _workspace(tmp_path, f"sqlite:///{tmp_path / 'store.sqlite'}", monkeypatch)
    ran = ckmon(config, "articles", *args)
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert message in ran.stderr and "Traceback" not in ran.stderr


def test_a_mark_overrides_the_automatic_verdict_and_is_exported_as_a_label(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _workspace(tmp_path, store_url, monkeypatch)
    ids = _ids(store_url)
    out = ckmon(config, "mark", str(ids["garment"]), "--not-relevant")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"#{ids['garment']} marked not relevant (automatic: relevant")
    put = ckmon(config, "mark", str(ids["rice"]), "--relevant", "--topic", "trade-investment")
    assert put.returncode == 0, put.stderr
    assert "marked relevant, topics: trade-investment" in put.stdout

    # Re-tagging rewrites the automatic verdicts; the marks stand beside them.
    with make_sessionmaker(store_url)() as session:
        session.execute(update(ArticleRow).values(relevant=True, topics=["diplomacy"]))
        session.commit()
        view = draft(session, NOW, load_config(config).digest.timezone)
    stories = [*view.top, *(s for section in view.sections.values() for s in section)]
    shown = {s.lead.title: s.lead.topics for s in stories}
    assert ARTICLES[0][6] not in shown  # marked not relevant
    assert shown[ARTICLES[3][6]] == ["trade-investment"]  # marked relevant, with its topic
    assert shown[ARTICLES[1][6]] == ["diplomacy"]  # not marked: the automatic verdict

    explained = ckmon(config, "explain", str(ids["garment"]))
    assert explained.returncode == 0, explained.stderr
    assert "marked not relevant by hand" in explained.stdout
    assert "the digest follows the mark" in explained.stdout

    labels = ckmon(config, "articles", "--marked", "--format", "jsonl")
    assert labels.returncode == 0, labels.stderr
    rows = {r["id"]: r for r in map(json.loads, labels.stdout.splitlines())}
    assert set(rows) == {ids["garment"], ids["rice"]}  # not-relevant marks too
    assert rows[ids["garment"]]["marked"] is False and rows[ids["garment"]]["auto_relevant"]
    assert rows[ids["garment"]]["relevant"] is False and rows[ids["garment"]]["topics"] == []
    assert rows[ids["rice"]]["marked"] is True
    assert rows[ids["rice"]]["marked_topics"] == ["trade-investment"]
    assert rows[ids["rice"]]["auto_topics"] == ["diplomacy"]

    cleared = ckmon(config, "mark", str(ids["garment"]), "--clear")
    assert cleared.returncode == 0 and "mark dropped" in cleared.stdout
    table = ckmon(config, "articles")
    assert f"{ids['garment']} " in table.stdout and "yes*" in table.stdout  # rice still marked


def test_marking_relevant_an_untagged_article_tags_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    config = _workspace(tmp_path, url, monkeypatch)
    ran = ckmon(config, "mark", "https://gazette.test/rice", "--relevant")
    assert ran.returncode == 0, ran.stderr
    with make_sessionmaker(url)() as session:
        view = draft(session, NOW, load_config(config).digest.timezone)
    stories = [*view.top, *(s for section in view.sections.values() for s in section)]
    rice = next(s for s in stories if s.lead.title == ARTICLES[3][6])
    assert rice.lead.topics == ["trade-investment"]  # the rules' topics, computed when marked


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --relevant or --not-relevant (or --clear)"),
        (["--not-relevant", "--topic", "health"], "--topic goes with --relevant"),
        (["--relevant", "--topic", "helth"], "no topic 'helth' (did you mean 'health'?)"),
        (["--clear", "--relevant"], "--clear takes no --relevant"),
    ],
)
def test_mark_refuses_unclear_corrections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    config = _workspace(tmp_path, f"sqlite:///{tmp_path / 'store.sqlite'}", monkeypatch)
    ran = ckmon(config, "mark", "1", *args)
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert message in ran.stderr and "Traceback" not in ran.stderr


def test_mark_of_an_unknown_article_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _workspace(tmp_path, f"sqlite:///{tmp_path / 'store.sqlite'}", monkeypatch)
    ran = ckmon(config, "mark", "999", "--relevant")
    assert ran.returncode == 2
    assert ran.stderr == "ckmon: error: no stored article with id or URL '999'\n"
