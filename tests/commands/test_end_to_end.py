"""The whole path once: loopback feed → spiders → store → `ckmon digest` → .eml."""

from __future__ import annotations

import email
import json
import sqlite3
import subprocess
import sys
from email import policy
from pathlib import Path

from tests.support.childenv import child_env
from tests.support.cli import ckmon, days_ago, write_workspace
from tests.support.crawlsite import DEAD_OUTLET

ROOT = Path(__file__).resolve().parents[2]


def _sources(base: str) -> str:
    return f"""
[gazette]
title = "Test Gazette"
lang = "en"
home = "{base}/"
kind = "feed"
feeds = ["{base}/feed.xml"]
"""


def test_crawl_then_digest(tmp_path: Path, site: tuple[str, list[str]]) -> None:
    base, requested = site
    config = write_workspace(tmp_path, _sources(base))

    crawled = ckmon(config, "crawl", "-v", "--since", days_ago(30))
    assert crawled.returncode == 0, crawled.stderr  # a dead article link is not a dead outlet
    assert "gazette: ok, 3 new, 2 relevant" in crawled.stdout, crawled.stdout + crawled.stderr

    db = sqlite3.connect(tmp_path / "data" / "ckmon.sqlite")
    rows = db.execute("SELECT canonical_url, relevant FROM articles ORDER BY id").fetchall()
    assert len(rows) == 3  # the utm_ variant of the FTA page is the same article
    assert {Path(url).name: bool(rel) for url, rel in rows} == {
        "fta-talks.html": True,
        "workers-ko.html": True,
        "football.html": False,
    }
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    made = ckmon(config, "digest")
    assert made.returncode == 0, made.stderr
    eml = Path(made.stdout.strip().splitlines()[-1])
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Seoul and Phnom Penh open talks on wider FTA" in part
        assert "캄보디아 근로자 고용허가제 입국 확대" in part
        assert "football" not in part
    assert "2 stories" in msg["Subject"]


def _scrapy_crawl(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`scrapy crawl` as a user types it in the project folder, with ckmon.toml named by env."""
    env = child_env(CKMON_CONFIG=str(config))
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_scrapy_crawl_exports_the_new_relevant_articles(
    tmp_path: Path, site: tuple[str, list[str]]
) -> None:
    base, _ = site
    config = write_workspace(tmp_path, _sources(base))
    out = tmp_path / "out.jsonl"

    ran = _scrapy_crawl(config, "gazette", "-a", f"since={days_ago(30)}", "-O", str(out))

    assert ran.returncode == 0, ran.stderr
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(item["title"] for item in items) == [
        "Seoul and Phnom Penh open talks on wider FTA",
        "캄보디아 근로자 고용허가제 입국 확대",
    ]
    for item in items:
        assert item["relevant"] is True and item["score"] > 0
        assert item["topics"] and isinstance(item["cluster"], int)
        assert "utm_" not in item["canonical_url"]
    db = sqlite3.connect(tmp_path / "data" / "ckmon.sqlite")
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3  # every one is stored

    again = _scrapy_crawl(config, "gazette", "-a", f"since={days_ago(30)}", "-O", str(out))
    assert again.returncode == 0, again.stderr
    assert out.read_text(encoding="utf-8") == ""  # -O overwrites; nothing new this time


def test_unreachable_outlet_is_reported(tmp_path: Path) -> None:
    config = write_workspace(tmp_path, DEAD_OUTLET)
    (config.parent / "ckmon.toml").write_text(
        config.read_text() + "RETRY_TIMES = 0\n", encoding="utf-8"
    )
    ran = ckmon(config, "run")
    assert ran.returncode == 4, ran.stdout + ran.stderr
    assert "deadsite: FAILED" in ran.stderr
    assert "no outlet could be reached" in ran.stderr
    lines = ran.stderr.strip().splitlines()
    # the run's one-line summary ends the output
    assert lines[-1].startswith("run: failed; 1 outlets, 1 failed"), ran.stderr
    assert "digest: edition" in ran.stdout  # a fresh store still gets its first edition
    page = next((tmp_path / "archive").glob("ckmon-*.html")).read_text(encoding="utf-8")
    assert "Dead Site" in page and "could not be reached" in page
    (eml,) = (tmp_path / "outbox").glob("ckmon-*.eml")
    mail = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    for kind in ("plain", "html"):
        part = mail.get_body((kind,)).get_content()
        assert "Dead Site" in part and "could not be reached" in part
