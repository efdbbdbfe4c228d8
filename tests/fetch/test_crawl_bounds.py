"""Every discovery kind is bounded by one rule (digest/fetch/bounds.py): at most its cap of entries
from one document goes on to be fetched, the newest first, and what is left out is counted and
logged. Crawled through the real `ckmon crawl`, one outlet per kind, each on its own port."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

import spiders.settings
from digest.fetch.bounds import CAPS, newest
from tests.support.badsite import serve_ports
from tests.support.cli import ckmon, write_workspace

NOW = datetime.now(UTC).replace(microsecond=0)
ITEMS = 2_000  # what one document lists
CAP = {"sitemap": 7, "sitemap_index": 3, "listing": 10, "search": 9}


def _ago(n: int) -> datetime:
    return NOW - timedelta(minutes=n)


def _news_sitemap() -> str:
    """2,000 undated news items: without a cap, 2,000 fetches."""
    urls = "".join(
        f"<url><loc>{{BASE}}/gen/{n}.html</loc><news:news><news:title>Story {n}</news:title>"
        "</news:news></url>"
        for n in range(ITEMS)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/'
        'sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{urls}</urlset>"
    )


def _index(children: int) -> tuple[str, dict[str, str]]:
    """An index of child sitemaps, oldest first, each listing one article."""
    entries = "".join(
        f"<sitemap><loc>{{BASE}}/child-{k}.xml</loc><lastmod>{_ago(children - k).isoformat()}"
        "</lastmod></sitemap>"
        for k in range(children)
    )
    index = (
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/'
        f'schemas/sitemap/0.9">{entries}</sitemapindex>'
    )
    files = {
        f"child-{k}.xml": '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.'
        f'sitemaps.org/schemas/sitemap/0.9"><url><loc>{{BASE}}/gen/{k}.html</loc></url></urlset>'
        for k in range(children)
    }
    return index, files


def _listing() -> str:
    links = "".join(f'<li><a href="/gen/{n}.html">Story {n}</a></li>' for n in range(ITEMS))
    return f"<!DOCTYPE html><html><body><ul>{links}</ul></body></html>"


def _gnews() -> str:
    """A search answer, oldest first (item n is n minutes old, so 0 is the newest)."""
    items = "".join(
        f"<item><title>Story {n} - Sample</title><link>{{BASE}}/gen/{n}.html</link>"
        f"<pubDate>{_ago(n).strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate></item>"
        for n in reversed(range(ITEMS))
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>S</title>{items}</channel></rss>'
    )


def _gdelt() -> str:
    articles = [
        {
            "url": f"{{BASE}}/gen/{n}.html",
            "title": f"Story {n}",
            "seendate": _ago(n).strftime("%Y%m%dT%H%M%SZ"),
            "language": "English",
        }
        for n in reversed(range(ITEMS))
    ]
    return json.dumps({"articles": articles})


def _stats_by_run(output: str) -> dict[int, dict[str, int]]:
    dumps = {}
    for block in re.findall(r"Dumping Scrapy stats:\n(\{.*?\})\n", output, re.S):
        stats = {k: int(v) for k, v in re.findall(r"'([^']+)': (\d+)[,}]", block)}
        dumps[stats["ckmon/crawl_run_id"]] = stats
    return dumps


# outlet: (its registry lines after `home`, the kind whose cap bounds it)
OUTLETS = {
    "newsmap": ('kind = "sitemap"\nsitemaps = ["{base}/news-sitemap.xml"]\n', "sitemap"),
    "indexmap": ('kind = "sitemap"\nsitemaps = ["{base}/index.xml"]\n', "sitemap_index"),
    "listpage": (
        'kind = "listing"\nlistings = [{{ url = "{base}/listing.html", '
        'pattern = "/gen/\\\\d+\\\\.html$" }}]\n',
        "listing",
    ),
    "gnewsmany": (
        'kind = "gnews"\nqueries = ["Cambodia Korea"]\nendpoint = "{base}/gnews/rss/search"\n',
        "search",
    ),
    "gdeltmany": (
        'kind = "gdelt"\nqueries = ["Cambodia Korea"]\nendpoint = "{base}/gdelt/api"\n',
        "search",
    ),
}
EXPECTED = {  # the articles each outlet may ask for: the newest, else the first in the document
    "newsmap": {f"/gen/{n}.html" for n in range(CAP["sitemap"])},
    "indexmap": {f"/gen/{k}.html" for k in range(10 - CAP["sitemap_index"], 10)},
    "listpage": {f"/gen/{n}.html" for n in range(CAP["listing"])},
    "gnewsmany": {f"/gen/{n}.html" for n in range(CAP["search"])},
    "gdeltmany": {f"/gen/{n}.html" for n in range(CAP["search"])},
}
LISTED = {
    "newsmap": ITEMS,
    "indexmap": 10,
    "listpage": ITEMS,
    "gnewsmany": ITEMS,
    "gdeltmany": ITEMS,
}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("bounds")
    site = tmp / "site"
    (site / "gnews" / "rss").mkdir(parents=True)
    (site / "gdelt").mkdir()
    (site / "news-sitemap.xml").write_text(_news_sitemap(), encoding="utf-8")
    index, children = _index(10)
    (site / "index.xml").write_text(index, encoding="utf-8")
    for name, text in children.items():
        (site / name).write_text(text, encoding="utf-8")
    (site / "listing.html").write_text(_listing(), encoding="utf-8")
    (site / "gnews" / "rss" / "search").write_text(_gnews(), encoding="utf-8")
    (site / "gdelt" / "api").write_text(_gdelt(), encoding="utf-8")
    with serve_ports(site, len(OUTLETS)) as (bases, hits):
        registry = ""
        for (name, (lines, _)), base in zip(OUTLETS.items(), bases, strict=True):
            registry += (
                f'[{name}]\ntitle = "{name}"\nlang = "en"\nhome = "{base}/"\n'
                + lines.format(base=base)
                + "bilateral = true\n\n"
            )
        config = write_workspace(tmp, registry)
        caps = "".join(f"{CAPS[kind].setting} = {n}\n" for kind, n in CAP.items())
        with config.open("a", encoding="utf-8") as fh:
            fh.write("CONCURRENT_REQUESTS_PER_DOMAIN = 16\nRETRY_TIMES = 0\n" + caps)
        since = (NOW - timedelta(days=30)).strftime("%Y-%m-%d")
        result = ckmon(config, "crawl", "-v", "--since", since, timeout=240)
        asked = {
            name: {p for p in hits.paths(int(base.rsplit(":", 1)[1])) if p.startswith("/gen/")}
            for name, base in zip(OUTLETS, bases, strict=True)
        }
    db = sqlite3.connect(config.parent / "data" / "ckmon.sqlite")
    runs = dict(
        db.execute(
            "SELECT o.name, r.id FROM crawl_runs r JOIN outlets o ON o.id = r.outlet_id"
        ).fetchall()
    )
    output = result.stdout + result.stderr
    by_run = _stats_by_run(output)
    return {
        "result": result,
        "output": output,
        "asked": asked,
        "stats": {name: by_run.get(run, {}) for name, run in runs.items()},
    }


def test_the_crawl_completes(crawled: dict) -> None:
    result = crawled["result"]
    assert result.returncode == 0, crawled["output"][-3000:]
    assert "Traceback" not in crawled["output"]


@pytest.mark.parametrize("outlet", sorted(OUTLETS))
def test_each_kind_sends_on_at_most_its_cap(crawled: dict, outlet: str) -> None:
    kind = OUTLETS[outlet][1]
    assert crawled["asked"][outlet] == EXPECTED[outlet]
    over = LISTED[outlet] - CAP[kind]
    stats = crawled["stats"][outlet]
    assert stats.get("ckmon/entries_over_limit") == over, stats
    assert stats.get(f"ckmon/entries_over_limit/{kind}") == over, stats
    words = kind.replace("_", " ")
    line = f"{words} has {LISTED[outlet]} entries, over {CAPS[kind].setting}: the "
    assert any(line in x and f" {outlet}: " in x for x in crawled["output"].splitlines()), line


def test_newest_keeps_the_newest_then_the_undated_in_order() -> None:
    when = {
        "a": None,
        "b": datetime(2026, 1, 2, tzinfo=UTC),
        "c": None,
        "d": datetime(2026, 1, 3, tzinfo=UTC),
    }
    assert newest(list("abcd"), 3, when.get) == (["d", "b", "a"], 1)
    assert newest(list("abcd"), 4, when.get) == (list("abcd"), 0)  # under the cap: as listed
    assert newest(list("abcd"), 0, when.get) == ([], 4)
    assert newest(["x", "y", "z"], 2, lambda _: None) == (["x", "y"], 1)  # undated: page order


def test_the_caps_defaults_are_the_shipped_settings() -> None:
    for cap in CAPS.values():
        assert getattr(spiders.settings, cap.setting) == cap.default, cap.setting
