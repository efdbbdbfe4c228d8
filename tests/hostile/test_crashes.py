"""`ckmon run` killed by SIGKILL at each instrumented step (`digest/crashpoints.py`), then run again.

After the restart: every page of the loopback site is stored once, the edition is sent, each
recipient got it once (twice only when the kill fell after the SMTP server accepted the message and
before the store recorded it, and then with the same Message-ID), and the SQLite file is sound.
"""

from __future__ import annotations

import email
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.fetch.localsite import write_numbered_site
from tests.support.childenv import child_env
from tests.support.cli import write_workspace
from tests.support.crawlsite import serve_sites
from tests.support.smtpserver import PASSWORD, USER, Recorder, free_port, self_signed, smtp_server

PAGES = 4
RECIPIENTS = ("anna@ckmon.test", "bora@ckmon.test")
# (crash point, the n-th time it is reached); the step each one stands for is in its comment.
POINTS = [
    ("feed-read", 1),  # mid-crawl: the feed answered, no article fetched yet
    ("article-before-commit", 2),  # mid-store: an article written but not committed
    ("article-stored", 2),  # mid-crawl: two articles committed, the others not fetched
    ("rendered", 1),  # the edition cut and rendered, before the outbox
    ("outbox-written", 1),  # after the outbox write, before any sending
    ("smtp-accepted", 1),  # the server accepted the first recipient's copy; not yet recorded
    ("delivery-committed", 1),  # one recipient recorded as sent, the other not tried
    ("delivery-committed", 2),  # both recorded, the edition not yet marked sent
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    root = tmp_path_factory.mktemp("site")
    paths = write_numbered_site(root, PAGES)
    with serve_sites(root) as (base, _):  # answers with ETag/Last-Modified, and 304
        yield base, paths


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Recorder, int, Path]]:
    folder = tmp_path_factory.mktemp("smtp")
    cert = self_signed(folder)
    recorder, port = Recorder(), free_port()
    with smtp_server(recorder, port, cert):
        yield recorder, port, cert[0]


def _workspace(tmp: Path, base: str, port: int, cafile: Path) -> Path:
    config = write_workspace(
        tmp,
        f'[numbered]\ntitle = "Numbered Post"\nlang = "en"\nhome = "{base}/"\nkind = "feed"\n'
        f'feeds = ["{base}/feed.xml"]\nbilateral = true\n',
    )
    text = config.read_text(encoding="utf-8")
    to = ", ".join(f'"{r}"' for r in RECIPIENTS)
    text = text.replace(
        "[scrapy]\n",
        f'[mail]\ntransport = "smtp"\nfrom = "ckmon <ckmon@ckmon.test>"\nto = [{to}]\n\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "starttls"\n'
        f'username = "{USER}"\ncafile = "{cafile}"\ntimeout = 10\nretries = 0\n\n[scrapy]\n',
        1,
    )
    config.write_text(text + "CONCURRENT_REQUESTS = 1\n", encoding="utf-8")
    return config


def _run(config: Path, crash_at: str = "") -> subprocess.CompletedProcess[str]:
    env = child_env(CKMON_CONFIG=str(config), CKMON_SMTP_PASSWORD=PASSWORD)
    env.pop("CKMON_CRASH_AT", None)
    if crash_at:
        env["CKMON_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "digest", "run"],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(("point", "nth"), POINTS, ids=[f"{p}-{n}" for p, n in POINTS])
def test_killed_then_restarted_loses_and_repeats_nothing(
    tmp_path: Path,
    site: tuple[str, list[str]],
    smtp: tuple[Recorder, int, Path],
    point: str,
    nth: int,
) -> None:
    base, pages = site
    recorder, port, cafile = smtp
    recorder.received.clear()
    config = _workspace(tmp_path, base, port, cafile)

    killed = _run(config, f"{point}:{nth}")
    assert killed.returncode == -9, f"not killed at {point}: " + killed.stderr[-3000:]
    again = _run(config)
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]

    db = sqlite3.connect(tmp_path / "data" / "ckmon.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    urls = [u for (u,) in db.execute("SELECT url FROM articles")]
    assert sorted(urls) == sorted(f"{base}/{p}" for p in pages), "an article was lost or doubled"
    editions = db.execute("SELECT key, status FROM editions").fetchall()
    assert [s for _, s in editions] == ["sent"], editions
    deliveries = db.execute("SELECT recipient, status, message_id FROM deliveries").fetchall()
    assert sorted((r, s) for r, s, _ in deliveries) == [(r, "sent") for r in RECIPIENTS]
    message_ids = {r: m for r, _, m in deliveries}

    got: Counter[str] = Counter()
    for received in recorder.received:
        (rcpt,) = received.rcpt_tos
        msg = email.message_from_bytes(received.data)
        assert msg["Message-ID"] == message_ids[rcpt]  # a repeat is the same message
        got[rcpt] += 1
    allowed = {r: 1 for r in RECIPIENTS}
    if point == "smtp-accepted":  # accepted by the server, then killed before it was recorded
        allowed[RECIPIENTS[0]] = 2
    assert got == allowed, got  # the one repeat is exactly that window's, and it did happen
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == len(RECIPIENTS)
