"""Ill-formed feeds and pages, crawled through the real `ckmon crawl` in one run, one outlet each.

The cases are data: `tests/badinput/<case>.xml` with `<case>.expected.json` beside it:
`stored` (article paths that must be stored from that feed, and nothing else), `log` (substrings,
`{BASE}` being that feed's server, each found in a log line of that outlet or naming its server),
`stats` (counters of that outlet's crawl, exact; a missing counter is 0), optional `titles`
(path → stored title) and `not_requested` (paths the crawl must never ask that feed's server for). Adding a case is adding those two files. Each feed is served on its own
port, so articles of different feeds never share an address. A huge feed is generated here.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.support.badsite import serve_ports
from tests.support.cli import ckmon, days_ago, write_workspace

CASES = Path(__file__).parents[1] / "badinput"
HUGE_ITEMS = 20_000
HUGE_KEPT = 20  # CKMON_FEED_MAX_ENTRIES in this test


def _cases() -> dict[str, dict[str, Any]]:
    cases = {}
    for feed in sorted(CASES.glob("*.xml")):
        expected = json.loads(feed.with_suffix(".expected.json").read_text(encoding="utf-8"))
        cases[feed.stem] = {"feed": feed.name, **expected}
    return cases


def _huge_feed() -> bytes:
    """20,000 items, oldest first: only the newest `HUGE_KEPT` may be fetched."""
    items = "".join(
        f"<item><title>Generated {n}</title><link>{{BASE}}/gen/{n}.html</link>"
        f"<pubDate>{_minutes_before(n)}</pubDate></item>"
        for n in reversed(range(HUGE_ITEMS))
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Huge</title>'
        f"{items}</channel></rss>"
    ).encode()


def _minutes_before(n: int) -> str:
    """Half a day and `n` minutes before the server started, rendered by the server."""
    return f"{{{{ago:12h{n}m}}}}"


def _stats_by_run(output: str) -> dict[int, dict[str, int]]:
    """Scrapy's end-of-crawl stats dumps, by the crawl run id each one carries."""
    dumps = {}
    for block in re.findall(r"Dumping Scrapy stats:\n(\{.*?\})\n", output, re.S):
        stats = {k: int(v) for k, v in re.findall(r"'([^']+)': (\d+)[,}]", block)}
        dumps[stats["ckmon/crawl_run_id"]] = stats
    return dumps


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every case crawled once, in one `ckmon crawl`: what each test below looks at."""
    cases = _cases()
    cases["huge"] = {
        "feed": "huge.xml",
        "stored": [f"gen/{n}.html" for n in range(HUGE_KEPT)],
        "log": [f"feed has {HUGE_ITEMS} entries, over CKMON_FEED_MAX_ENTRIES: the newest"],
        "stats": {"ckmon/entries_over_limit": HUGE_ITEMS - HUGE_KEPT},
    }
    tmp = tmp_path_factory.mktemp("badinput")
    with serve_ports(CASES, len(cases), {"huge.xml": _huge_feed()}) as (bases, hits):
        registry = ""
        for (case, spec), base in zip(cases.items(), bases, strict=True):
            spec["base"], spec["outlet"] = base, case.replace("-", "_")
            registry += (
                f'[{spec["outlet"]}]\ntitle = "{case}"\nlang = "en"\nhome = "{base}/"\n'
                f'kind = "feed"\nfeeds = ["{base}/{spec["feed"]}"]\nbilateral = true\n\n'
            )
        config = write_workspace(tmp, registry)
        with config.open("a", encoding="utf-8") as fh:  # all on 127.0.0.1: one slot, so widen it
            fh.write(
                "CONCURRENT_REQUESTS_PER_DOMAIN = 16\nDOWNLOAD_TIMEOUT = 4\nRETRY_TIMES = 1\n"
                f"CKMON_RETRY_BACKOFF = 0.1\nCKMON_FEED_MAX_ENTRIES = {HUGE_KEPT}\n"
            )
        result = ckmon(config, "crawl", "-v", "--since", days_ago(30), timeout=180)
        paths = {base: hits.paths(int(base.rsplit(":", 1)[1])) for base in bases}
    output = result.stdout + result.stderr
    db = sqlite3.connect(tmp / "data" / "ckmon.sqlite")
    runs = dict(
        db.execute(
            "SELECT o.name, r.id FROM crawl_runs r JOIN outlets o ON o.id = r.outlet_id"
        ).fetchall()
    )
    articles = db.execute("SELECT url, canonical_url, title FROM articles").fetchall()
    return {
        "cases": cases,
        "result": result,
        "output": output,
        "stats": {
            o: s for r, s in _stats_by_run(output).items() for o, i in runs.items() if i == r
        },
        "articles": articles,
        "paths": paths,
    }


def test_the_run_completes(crawled: dict[str, Any]) -> None:
    result, output = crawled["result"], crawled["output"]
    assert result.returncode == 0, output[-3000:]
    assert "Traceback" not in output and "Spider error" not in output, output[-3000:]
    for spec in crawled["cases"].values():
        assert f"{spec['outlet']}: ok" in result.stdout, result.stdout


@pytest.mark.parametrize("case", [*sorted(_cases()), "huge"])
def test_case(crawled: dict[str, Any], case: str) -> None:
    spec = crawled["cases"][case]
    base, outlet = spec["base"], spec["outlet"]
    output = crawled["output"]
    mine = {
        url.removeprefix(base + "/"): title
        for url, _, title in crawled["articles"]
        if url.startswith(base + "/")
    }
    assert sorted(mine) == sorted(spec["stored"]), spec["note"] if "note" in spec else case
    for path, title in spec.get("titles", {}).items():
        assert mine[path] == title
    lines = output.splitlines()
    for needle in spec["log"]:
        needle = needle.replace("{BASE}", base)
        assert any(needle in line and (f" {outlet}: " in line or base in line) for line in lines), (
            f"no log line {needle!r} for {outlet}"
        )
    asked = {p.lstrip("/") for p in crawled["paths"][base]}
    assert not asked & set(spec.get("not_requested", [])), sorted(asked)
    stats = crawled["stats"][outlet]
    for counter, value in spec["stats"].items():
        assert stats.get(counter, 0) == value, (counter, stats)


def test_huge_feed_stays_bounded(crawled: dict[str, Any]) -> None:
    """Only the newest entries of a 20,000-item feed are requested; the rest never leave the feed."""
    asked = crawled["paths"][crawled["cases"]["huge"]["base"]]
    articles = [p for p in asked if p.startswith("/gen/")]
    assert sorted(articles) == sorted(f"/gen/{n}.html" for n in range(HUGE_KEPT))


def test_nothing_outside_the_served_folders_leaks(crawled: dict[str, Any]) -> None:
    """The XXE feed's external entity (/etc/passwd) is never read into anything stored."""
    for _, _, title in crawled["articles"]:
        assert "root:" not in title
    assert "root:x:0:0" not in crawled["output"]
