"""`ckmon tag` and `ckmon explain` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from digest.cli import cli
from tests.support.samples import COPY, OTHER_WRITEUP, WIRE

RECORDS = [
    {
        "id": "copy",
        "url": "https://daily.test/9",
        "title": "Korea lends Cambodia $200m",
        "text": COPY,
        "published": "2026-11-21T02:00:00Z",
    },
    {
        "id": "wire",
        "url": "https://wire.test/1?utm_source=x",
        "title": "Korea lends Cambodia $200m",
        "text": WIRE,
        "published": "2026-11-20T01:00:00Z",
    },
    {
        "id": "amp",
        "url": "https://m.wire.test/amp/1",
        "title": "Korea lends Cambodia $200m",
        "text": WIRE,
    },
    {
        "id": "other",
        "url": "https://post.test/4",
        "title": "Ring road loan welcomed",
        "text": OTHER_WRITEUP,
        "lang": "en",
    },
    {
        "id": "rice",
        "url": "https://post.test/5",
        "title": "Rice exports rise",
        "text": "Cambodia sold more rice to Europe this year, exporters in Battambang said.",
    },
]


def run_tag(tmp_path: Path, lines: list[str]) -> list[dict]:  # type: ignore[type-arg]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["tag", str(path)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_tag_outputs_one_line_per_input_with_shared_clusters(tmp_path: Path) -> None:
    out = run_tag(tmp_path, [json.dumps(r) for r in RECORDS])
    assert [o["id"] for o in out] == [r["id"] for r in RECORDS]
    by_id = {o["id"]: o for o in out}
    # the earliest published item leads; the AMP variant of its URL is the same story
    assert by_id["copy"]["cluster"] == by_id["wire"]["cluster"] == by_id["amp"]["cluster"] == "wire"
    assert by_id["other"]["cluster"] == "other"
    assert by_id["wire"]["relevant"] and "aid-development" in by_id["wire"]["topics"]
    assert not by_id["rice"]["relevant"] and by_id["rice"]["topics"] == []
    assert set(out[0]) == {"id", "relevant", "score", "topics", "cluster"}


def test_tag_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(RECORDS[0]) + "\n{oops\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["tag", str(path)], standalone_mode=False)
    assert "in.jsonl:2: not JSON" in str(result.exception)


def test_explain_shows_evidence_topics_and_cluster(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from digest.analysis.article import Article
    from digest.analysis.ingest import Analyzer, ingest
    from digest.store.engine import make_sessionmaker

    db = tmp_path / "ck.sqlite"
    sessions = make_sessionmaker(f"sqlite:///{db}")
    now = datetime(2026, 11, 20, tzinfo=UTC)
    with sessions() as session:
        analyzer = Analyzer()
        for url, text in (("https://wire.test/1", WIRE), ("https://daily.test/9", COPY)):
            art = Article(url=url, title="Korea lends Cambodia $200m", text=text, canonical_url=url)
            ingest(art, session, analyzer, now=now)
    config = tmp_path / "ckmon.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{db}"\n', encoding="utf-8")
    runner = CliRunner()
    text = runner.invoke(cli, ["--config", str(config), "explain", "https://www.daily.test/9"])
    assert text.exit_code == 0, text.output
    assert "relevant: yes" in text.output and "korea" in text.output
    assert "cluster 1: 2 article(s)" in text.output and "near copy" in text.output
    as_json = runner.invoke(cli, ["--config", str(config), "explain", "1", "--json"])
    report = json.loads(as_json.output)
    assert report["topics"] and report["cluster"]["id"] == 1
    missing = runner.invoke(cli, ["--config", str(config), "explain", "999"], standalone_mode=False)
    assert "no stored article" in str(missing.exception)
