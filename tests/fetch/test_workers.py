"""Several crawl workers sharing a scrapy-redis queue: every article stored once, every spider kind."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import redis
from sqlalchemy import select

from digest.fetch.localsite import serve, write_numbered_site
from digest.store.engine import make_sessionmaker
from digest.store.models import ArticleRow, CrawlRun
from tests.support.children import Child, Children
from tests.support.cli import days_ago, write_workspace
from tests.support.crawlsite import EXPECTED, serve_sites, workspace

ARTICLES = 30


def _start_worker(
    children: Children,
    config: Path,
    *args: str,
    store_url: str | None = None,
    redis_url: str | None = None,
) -> Child:
    # The URLs may carry passwords, which ckmon reads only from the environment.
    env = {}
    if store_url:
        env["CKMON_DATABASE_URL"] = store_url
    if redis_url:
        env["CKMON_REDIS_URL"] = redis_url
    return children.ckmon(config, "crawl", *args, **env)


def test_two_workers_store_every_article_once(
    tmp_path: Path, store_url: str, redis_url: str, children: Children
) -> None:
    paths = write_numbered_site(tmp_path / "site", ARTICLES)
    # A little latency per page, as from a distant server, so that the two crawls overlap.
    with serve(tmp_path / "site", delay=0.05) as (base, requested):
        config = write_workspace(
            tmp_path,
            f'[numbered]\ntitle = "Numbered"\nlang = "en"\nhome = "{base}/"\n'
            f'kind = "feed"\nfeeds = ["{base}/feed.xml"]\n',
        )
        workers = [
            _start_worker(children, config, store_url=store_url, redis_url=redis_url)
            for _ in range(2)
        ]
        outputs = [worker.communicate(timeout=180) for worker in workers]
        first_run = Counter(requested)
        # The next run (same day): the feed is read again, only the new article is fetched.
        paths_then = write_numbered_site(tmp_path / "site", ARTICLES + 1)
        again = _start_worker(children, config, store_url=store_url, redis_url=redis_url)
        again_out, again_err = again.communicate(timeout=180)
        next_run = Counter(requested) - first_run
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, out + err[-3000:]
        assert "numbered: ok" in out, out + err[-3000:]

    with make_sessionmaker(store_url)() as session:
        stored = session.scalars(select(ArticleRow.url)).all()
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    assert sorted(stored) == sorted(f"{base}/{path}" for path in paths_then)  # each once
    assert len(runs) == 3 and sum(run.articles_new for run in runs[:2]) == ARTICLES

    assert all(first_run[path] == 1 for path in paths), first_run  # one shared duplicate filter
    assert first_run["feed.xml"] == 2  # each worker reads the feed: start URLs are never filtered

    assert again.returncode == 0, again_out + again_err[-3000:]
    assert "numbered: ok, 1 new" in again_out, again_out + again_err[-3000:]
    assert next_run == Counter({"feed.xml": 1, "robots.txt": 1, paths_then[-1]: 1})

    client = redis.Redis.from_url(redis_url)
    (dupefilter,) = client.keys("ckmon:numbered:dupefilter:*")
    assert client.scard(dupefilter) == ARTICLES + 1  # persisted between runs
    assert client.zcard("ckmon:numbered:requests") == 0  # the shared queue was worked off
    client.close()


def test_every_spider_kind_runs_unchanged_on_the_shared_queue(
    tmp_path: Path, redis_url: str, children: Children
) -> None:
    """The five sample outlets (feed, sitemap index, listing, Google News, GDELT), crawled by two
    workers at once through scrapy-redis: their requests survive the trip through Redis (callbacks,
    errbacks, meta), and each article is fetched once and stored once."""
    with serve_sites() as (base, log):
        config = workspace(tmp_path, base, "shared")
        workers = [
            _start_worker(children, config, "--since", days_ago(30), redis_url=redis_url)
            for _ in range(2)
        ]
        outputs = [worker.communicate(timeout=180) for worker in workers]
        asked = Counter(p.split("?")[0] for p in log.paths())
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, out + err[-3000:]
        for outlet in ("gazette", "herald", "khmerdaily", "gnews_test", "gdelt_test"):
            assert f"{outlet}: ok" in out, out + err[-3000:]

    db = config.parent / "data" / "ckmon.sqlite"
    with sqlite3.connect(db) as conn:
        urls = [url for (url,) in conn.execute("SELECT canonical_url FROM articles")]
    assert sorted("/" + url.split("/", 3)[3] for url in urls) == sorted(EXPECTED)
    # one shared duplicate filter: each article asked for once (the 503 of the first answer to
    # /asiadesk/edcf-loan.html retried once by the worker that got it)
    once = dict.fromkeys(EXPECTED, 1) | {"/asiadesk/edcf-loan.html": 2}
    assert {path: asked[path] for path in EXPECTED} == once
    assert asked["/herald/news-sitemap.xml"] == 1  # a child sitemap is shared work too
    assert asked["/gazette/feed.rss"] == 2  # start URLs: read by each worker

    client = redis.Redis.from_url(redis_url)
    for outlet in ("gazette", "herald", "khmerdaily", "gnews_test", "gdelt_test"):
        (dupefilter,) = client.keys(f"ckmon:{outlet}:dupefilter:*")
        assert client.scard(dupefilter) > 0  # its requests went through the shared filter
        assert client.zcard(f"ckmon:{outlet}:requests") == 0  # and its queue was worked off
    client.close()
