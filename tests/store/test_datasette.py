"""The store opens in Datasette with the metadata `ckmon datasette-metadata` writes: its canned
queries run on a real store, its descriptions name real tables and columns, its search box finds
Korean and Khmer words."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette
from sqlalchemy import inspect

from digest.store.engine import get_outlet, make_engine, make_sessionmaker
from digest.store.models import ArticleRow, CrawlRun, Mark
from tests.support.cli import ckmon

# The canned queries ask SQLite for "now", and SQLite reads the system clock, not Python's (which
# `--clock-ahead` moves): the sample articles are dated from SQLite's now.
with sqlite3.connect(":memory:") as _clock:
    NOW = datetime.fromisoformat(_clock.execute("SELECT datetime('now')").fetchone()[0])
NOW = NOW.replace(tzinfo=UTC)


def _store(tmp_path: Path) -> tuple[Path, Path]:
    """A store with a week's articles, a mark and a crawl run; returns (config, store file)."""
    path = tmp_path / "data" / "ckmon.sqlite"
    url = f"sqlite:///{path}"
    config = tmp_path / "ckmon.toml"
    config.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    with make_sessionmaker(url)() as session:
        seoul = get_outlet(session, "seoulwire", "Seoul Wire", "ko")
        daily = get_outlet(session, "khmerdaily", "Khmer Daily", "km")

        def add(outlet: int, title: str, topics: list[str], relevant: bool = True,
                cluster: int | None = None, seen: datetime = NOW) -> ArticleRow:  # fmt: skip
            row = ArticleRow(
                canonical_url=f"https://x.test/{title}",
                url=f"https://x.test/{title}",
                outlet_id=outlet,
                title=title,
                text=title,
                lang="ko",
                first_seen_at=seen,
                published_at=seen - timedelta(hours=3),
                relevant=relevant,
                topics=topics,
            )
            session.add(row)
            session.flush()
            row.cluster_id = cluster or row.id
            return row

        loan = add(seoul.id, "캄보디아에서 한국 차관 협정 서명", ["aid-development"])
        add(daily.id, "កូរ៉េផ្តល់ប្រាក់កម្ចីដល់កម្ពុជា", ["aid-development"], cluster=loan.id)
        add(seoul.id, "캄보디아 노동자 입국", ["labour-migration"])
        rice = add(daily.id, "Rice exports to Europe rise", [], relevant=False)
        add(seoul.id, "Old news", ["diplomacy"], seen=NOW - timedelta(days=40))
        session.add(Mark(article_id=rice.id, relevant=True, topics=["trade-investment"],
                         marked_at=NOW))  # fmt: skip
        session.add(CrawlRun(outlet_id=daily.id, started_at=NOW, status="failed", error="DNS"))
        session.commit()
    return config, path


def _get(path: Path, metadata: dict[str, Any], *requests: str) -> list[Any]:
    """Datasette's JSON answers to `requests` (in process, through its own ASGI client)."""

    async def ask() -> list[Any]:
        datasette = Datasette([str(path)], metadata=metadata)
        answers = []
        for request in requests:
            response = await datasette.client.get(request)
            assert response.status_code == 200, (request, response.text)
            answers.append(response.json())
        return answers

    return asyncio.run(ask())


def test_canned_queries_and_search_run_on_a_real_store(tmp_path: Path) -> None:
    config, path = _store(tmp_path)
    written = ckmon(config, "datasette-metadata", "-o", str(tmp_path / "datasette.json"))
    assert written.returncode == 0, written.stderr
    metadata = json.loads((tmp_path / "datasette.json").read_text(encoding="utf-8"))
    assert set(metadata["databases"]) == {"ckmon"}  # Datasette names it after the file
    queries = metadata["databases"]["ckmon"]["queries"]
    assert {"this_week", "by_topic", "topic", "by_outlet", "marked"} <= set(queries)

    week, topics, labour, outlets, marked, search = _get(
        path,
        metadata,
        "/ckmon/this_week.json?_shape=array",
        "/ckmon/by_topic.json?_shape=array",
        "/ckmon/topic.json?topic=labour-migration&_shape=array",
        "/ckmon/by_outlet.json?_shape=array",
        "/ckmon/marked.json?_shape=array",
        "/ckmon/articles.json?_search=캄보디아&_shape=array",
    )
    stories = {row["title"]: row for row in week}
    assert set(stories) == {
        "캄보디아에서 한국 차관 협정 서명",  # and its Khmer copy, in one story
        "캄보디아 노동자 입국",
        "Rice exports to Europe rise",  # marked relevant
    }
    assert stories["캄보디아에서 한국 차관 협정 서명"]["articles"] == 2
    assert stories["캄보디아에서 한국 차관 협정 서명"]["outlets"] in (
        "seoulwire,khmerdaily",
        "khmerdaily,seoulwire",
    )
    assert {r["topic"]: r["articles"] for r in topics} == {
        "aid-development": 2,
        "labour-migration": 1,
        "trade-investment": 1,  # the analyst's topic
    }
    assert [r["title"] for r in labour] == ["캄보디아 노동자 입국"]
    by_outlet = {r["outlet"]: r for r in outlets}
    assert by_outlet["khmerdaily"]["in_digest"] == 2 and by_outlet["khmerdaily"]["last_crawl"] == (
        "failed"
    )
    assert by_outlet["seoulwire"]["articles"] == 3 and by_outlet["seoulwire"]["last_7_days"] == 2
    assert [(r["title"], r["marked_relevant"], r["auto_relevant"]) for r in marked] == [
        ("Rice exports to Europe rise", 1, 0)
    ]
    assert sorted(r["title"] for r in search) == [
        "캄보디아 노동자 입국",
        "캄보디아에서 한국 차관 협정 서명",
    ]


def test_descriptions_name_real_tables_and_describe_all_their_columns(tmp_path: Path) -> None:
    _config, path = _store(tmp_path)
    from digest.store.datasette import metadata

    tables = metadata("ckmon")["databases"]["ckmon"]["tables"]
    schema = inspect(make_engine(f"sqlite:///{path}"))
    stored = set(schema.get_table_names())
    assert set(tables) <= stored, set(tables) - stored
    for name, table in tables.items():
        if table.get("hidden"):
            continue
        assert table["description"], name
        columns = {c["name"] for c in schema.get_columns(name)}
        assert set(table["columns"]) == columns, name


def test_the_documented_command_line_opens_the_store(tmp_path: Path) -> None:
    config, path = _store(tmp_path)
    written = ckmon(config, "datasette-metadata")
    assert written.returncode == 0, written.stderr
    (tmp_path / "meta.json").write_text(written.stdout, encoding="utf-8")
    datasette = [sys.executable, "-m", "datasette", str(path), "--metadata", "meta.json"]
    shown = subprocess.run(
        [*datasette, "--get", "/ckmon/this_week.json?_shape=array"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    assert len(json.loads(shown.stdout)) == 3


def test_a_postgresql_store_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "ckmon.toml"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("CKMON_DATABASE_URL", "postgresql+psycopg://ckmon:pw@db.internal/ckmon")
    ran = ckmon(config, "datasette-metadata")
    assert ran.returncode == 2
    assert ran.stderr == (
        "ckmon: error: Datasette opens SQLite files; the store is "
        "postgresql+psycopg://ckmon:***@db.internal/ckmon\n"
    )
