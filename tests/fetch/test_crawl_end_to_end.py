"""Five sample outlets, one per spider kind, crawled over loopback through the real `ckmon crawl`:
first run, an unchanged second run, safety refusals, and a replay of the recorded WARC."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path

from tests.support.cli import ckmon, days_ago, write_workspace
from tests.support.crawlsite import EXPECTED, UNREACHABLE, SiteLog, serve_sites, workspace
from tests.support.gaterecorder import recorded, with_gate_recorder

DISCOVERY = {
    "/gazette/feed.rss",
    "/herald/sitemap-index.xml",
    "/herald/news-sitemap.xml",
    "/khmerdaily/index.html",
}


def stored(db: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT canonical_url, title, lang FROM articles").fetchall()
    return {url.split(":", 2)[2].split("/", 1)[1]: (title, lang) for url, title, lang in rows}


def article_paths(log: SiteLog) -> set[str]:
    return (
        {p.split("?")[0] for p in log.paths()}
        - DISCOVERY
        - {"/robots.txt"}
        - {
            "/gnews/rss/search",
            "/gdelt/api",
        }
    )


def test_crawl_twice_then_replay(tmp_path: Path) -> None:
    archive = tmp_path / "run.warc.gz"
    with serve_sites(pause=0.05) as (base, log):
        live = workspace(tmp_path, base, "live")
        first = ckmon(live, "crawl", "-v", "-a", f"since={days_ago(30)}", "--record", str(archive))
        out = first.stdout + first.stderr
        assert first.returncode == 0, out
        for outlet in ("gazette", "herald", "khmerdaily", "gnews_test", "gdelt_test"):
            assert f"{outlet}: ok" in first.stdout, out

        articles = stored(live.parent / "data" / "ckmon.sqlite")
        assert {"/" + p for p in articles} == EXPECTED, out
        # An EUC-KR page (charset only in its meta tag) and a Khmer page decode correctly.
        assert articles["herald/workers-euckr.html"][0] == "캄보디아 근로자 고용허가제 쿼터 확대"
        with sqlite3.connect(live.parent / "data" / "ckmon.sqlite") as conn:
            (text,) = conn.execute(
                "SELECT text FROM articles WHERE url LIKE '%workers-euckr.html'"
            ).fetchone()
        assert "김똠씨" in text  # a CP949 extension character on a page labelled EUC-KR
        assert articles["khmerdaily/news/1001.html"][0].startswith("កម្ពុជា និងកូរ៉េខាងត្បូង")

        asked = {p.split("?")[0] for p in log.paths()}
        # Old items, another language's items and old child sitemaps are skipped before fetching.
        for skipped in (
            "/gazette/old-story.html",
            "/herald/archive-2019.xml",
            "/herald/old-news.html",
            "/herald/english-edition.html",
            "/wire/old.html",
            "/asiadesk/korean-copy.html",
            "/asiadesk/old.html",
            "/khmerdaily/about.html",
            "/private-area/members.html",  # robots.txt
        ):
            assert skipped not in asked, skipped
        # The guard: metadata address, a redirect to a name resolving to loopback, file://.
        assert "/go/gazette/secret.html" in asked  # the redirect itself is on the allowed host
        assert "/gazette/secret.html" not in asked
        assert "refused http://169.254.169.254/latest/meta-data/" in out
        assert f"refused http://localhost:{base.rsplit(':', 1)[1]}/gazette/secret.html" in out
        # feedparser turns file:///etc/passwd into file://etc/passwd; refused before any request
        assert "refused non-http(s) link 'file://" in out
        # The bomb is dropped, not stored, and the crawl goes on.
        assert "/bomb.html" in asked and "bomb.html" not in articles
        assert "article dropped" in out and "bomb.html" in out
        assert "sitemap dropped" in out and "bomb-sitemap.xml.gz" in out
        # 429 with Retry-After: 1 was waited for, then retried; a 503 after the backoff (0.1 s).
        assert f"HTTP 429 from {base}/gdelt/api" in out and "retrying in 1.0s" in out
        gdelt = [when for path, when in log.times if path.startswith("/gdelt/api")]
        assert len(gdelt) == 2 and gdelt[1] - gdelt[0] >= 1.0
        assert f"HTTP 503 from {base}/asiadesk/edcf-loan.html: retrying in 0.1s" in out
        assert ("/asiadesk/edcf-loan.html", 503) in log.hits
        # Politeness: an honest User-Agent with the configured contact, and never two requests at
        # once to this host, although five outlets (five crawlers) share it.
        assert log.agents == {
            "ckmon/0.1 (Cambodia-Korea media monitor; +https://example.org/ckmon-test-contact)"
        }
        assert log.most_busy == 1

        log.clear()
        second = ckmon(live, "crawl", "-v", "--since", days_ago(30))
        assert second.returncode == 0, second.stdout + second.stderr
        assert "0 new articles" in second.stderr + second.stdout
        assert article_paths(log) == set()  # nothing changed: no article is asked for
        statuses = dict(log.hits)
        for path in ("/gazette/feed.rss", "/herald/sitemap-index.xml", "/khmerdaily/index.html"):
            assert statuses[path] == 304, log.hits
        assert len(stored(live.parent / "data" / "ckmon.sqlite")) == len(EXPECTED)
        with sqlite3.connect(live.parent / "data" / "ckmon.sqlite") as conn:
            runs = conn.execute(
                "SELECT o.name, r.not_modified, r.articles_new, r.skipped_seen FROM crawl_runs r "
                "JOIN outlets o ON o.id = r.outlet_id ORDER BY r.id DESC LIMIT 5"
            ).fetchall()
        assert all(new == 0 for _, _, new, _ in runs)
        assert {name for name, not_modified, _, _ in runs if not_modified} >= {
            "gazette",
            "herald",
            "khmerdaily",
        }

        # The periodic full fetch: feeds are fetched whole, but stored articles are not requested;
        # only what is not stored (the bomb, the refused redirect) is asked for again.
        log.clear()
        live.write_text(live.read_text() + "CKMON_FULL_FETCH_DAYS = 0\n", encoding="utf-8")
        third = ckmon(live, "crawl", "-v", "--since", days_ago(30))
        assert third.returncode == 0, third.stdout + third.stderr
        assert dict(log.hits)["/gazette/feed.rss"] == 200
        assert article_paths(log) == {
            "/bomb.html",
            "/go/gazette/secret.html",
            "/herald/bomb-sitemap.xml.gz",
        }
        assert len(stored(live.parent / "data" / "ckmon.sqlite")) == len(EXPECTED)

        # `ckmon sources`: per-outlet health from those three runs.
        table = ckmon(live, "sources")
        assert table.returncode == 0, table.stderr
        rows = {line.split()[0]: line.split() for line in table.stdout.splitlines()[1:-1]}
        assert set(rows) == {"gazette", "herald", "khmerdaily", "gnews_test", "gdelt_test"}
        gazette = rows["gazette"]
        assert gazette[1:4] == ["en", "feed", "general"] and gazette[6] == "ok"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", gazette[7])  # the day of its last new article
        # The last (full-fetch) run: 0 new, its stored article skipped unasked, 2 links refused.
        header = table.stdout.splitlines()[0].split()
        assert header[-8:] == ["req", "304", "new", "xfail", "err", "seen", "ref", "flags"]
        assert gazette[11:16] == ["0", "0", "0", "1", "2"], gazette
        assert rows["herald"][14] == "2"  # its two stored articles, not requested again
        assert "5 outlets, 0 flagged" in table.stdout

    # The server is gone: the replay answers everything from the archive.
    replay = workspace(tmp_path, base, "replay")
    replayed = ckmon(replay, "crawl", "-v", "--since", days_ago(30), "--replay", str(archive))
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert stored(replay.parent / "data" / "ckmon.sqlite") == articles


def test_an_outlet_delay_spaces_every_request_to_its_discovery_host(tmp_path: Path) -> None:
    # A search API's rate limit (GDELT asks for 5 s between requests), declared by one outlet,
    # holds for every crawler reaching that host: here the listing outlet shares it. The crawl's
    # own delay is 0. Measured on what the crawl recorded (when the host gate booked each request
    # to start, when it let it go) and what the server recorded (when each request arrived), not on
    # the gaps between arrivals, which a busy machine stretches and squeezes.
    with serve_sites() as (base, log):
        config = workspace(tmp_path, base, "delay")
        sources = config.parent / "sources.toml"
        feeds_line = f'feeds = ["{base}/gazette/feed.rss"]\n'
        sources.write_text(
            sources.read_text(encoding="utf-8").replace(feeds_line, feeds_line + "delay = 0.5\n"),
            encoding="utf-8",
        )
        recorder = with_gate_recorder(config)
        ran = ckmon(
            config, "crawl", "-v", "gazette", "khmerdaily", "--since", days_ago(30), env=recorder
        )
        assert ran.returncode == 0, ran.stdout + ran.stderr
        arrivals = list(log.arrivals)
        paths = log.paths()
    assert any("/gazette/" in p for p in paths) and any("/khmerdaily/" in p for p in paths)
    gated = [row for row in recorded(config) if row["url"].startswith(base)]
    assert len(gated) == len(arrivals) >= 6, (gated, paths)  # every request went through the gate
    booked = [row["booked"] for row in gated]
    # Half a second between the starts the gate gave (to within float rounding of clock seconds)
    # (without the delay they are milliseconds apart)
    gaps = [b - a for a, b in zip(booked, booked[1:], strict=False)]
    assert min(gaps) >= 0.5 - 1e-6, gaps
    assert booked[-1] - booked[0] >= 0.5 * (len(booked) - 1) - 1e-6, gaps
    # No request left before its start, and none reached the server earlier than half a second
    # after the previous request's start (one request at a time: arrivals are in gate order).
    assert all(row["left"] >= row["booked"] for row in gated), gated
    assert log.most_busy == 1
    assert all(arrival >= row["left"] for arrival, row in zip(arrivals, gated, strict=True))
    pairs = zip(booked[:-1], arrivals[1:], strict=True)
    assert all(later >= start + 0.5 - 1e-6 for start, later in pairs), (booked, arrivals)


def test_attempts_that_never_reach_a_delayed_host_do_not_wait_for_its_delay(tmp_path: Path) -> None:
    # Offline, or with nothing listening, no request reaches the API: its 10 s between requests
    # must not space three failed attempts 10 s apart (each would then cost the run its delay).
    feeds = ", ".join(f'"{UNREACHABLE}/{name}.rss"' for name in "abc")
    config = write_workspace(
        tmp_path,
        f'[deadapi]\ntitle = "Dead API"\nlang = "en"\nhome = "{UNREACHABLE}/"\nkind = "feed"\n'
        f"feeds = [{feeds}]\ndelay = 10\n",
    )
    config.write_text(config.read_text(encoding="utf-8") + "RETRY_TIMES = 0\n", encoding="utf-8")
    ran = ckmon(config, "crawl", "-v")
    failed = [
        datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
        for line in ran.stderr.splitlines()
        if "discovery URL failed" in line
    ]
    assert len(failed) == 3, ran.stderr
    assert (failed[-1] - failed[0]).total_seconds() < 10.0, ran.stderr
