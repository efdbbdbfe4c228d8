"""Several crawl workers over one site, sharing a scrapy-redis queue: every article stored once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import redis
from sqlalchemy import select

from digest.localsite import serve, write_numbered_site
from digest.store import ArticleRow, CrawlRun, make_sessionmaker
from tests.conftest import write_workspace

ARTICLES = 30


def _start_worker(config: Path, store_url: str, redis_url: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    # The URLs may carry passwords, which ckmon reads only from the environment.
    env.update(CKMON_CONFIG=str(config), CKMON_DATABASE_URL=store_url, CKMON_REDIS_URL=redis_url)
    return subprocess.Popen(
        [sys.executable, "-m", "digest", "crawl"],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_workers_store_every_article_once(
    tmp_path: Path, store_url: str, redis_url: str
) -> None:
    paths = write_numbered_site(tmp_path / "site", ARTICLES)
    # A little latency per page, as from a distant server, so that the two crawls overlap.
    with serve(tmp_path / "site", delay=0.05) as (base, requested):
        config = write_workspace(
            tmp_path,
            f'[numbered]\ntitle = "Numbered"\nlang = "en"\nhome = "{base}/"\n'
            f'kind = "feed"\nfeeds = ["{base}/feed.xml"]\n',
        )
        workers = [_start_worker(config, store_url, redis_url) for _ in range(2)]
        outputs = [worker.communicate(timeout=180) for worker in workers]
        first_run = Counter(requested)
        # The next run (same day): the feed is read again, only the new article is fetched.
        paths_then = write_numbered_site(tmp_path / "site", ARTICLES + 1)
        again = _start_worker(config, store_url, redis_url)
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
