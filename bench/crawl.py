"""Crawl throughput of ckmon's whole pipeline beside a no-op Scrapy spider, then an unchanged re-run.

One loopback site (bench/newssite.py: three outlets, English and Khmer feeds, Korean news sitemaps,
2,000 article pages by default) is crawled three times, each crawl in its own process:
1. the no-op spider (bench/noop_spider.py): same pages, nothing done with them;
2. `ckmon crawl`: the real spiders, middlewares, extraction, relevance, topics, dedupe and the
   SQLite store, into a fresh store;
3. `ckmon crawl` again on the unchanged site and the same store: the feeds and sitemaps should
   answer 304 and no article page should be fetched.

Same politeness for both crawlers: robots.txt obeyed, DOWNLOAD_DELAY 0, AutoThrottle off,
CONCURRENT_REQUESTS 16, CONCURRENT_REQUESTS_PER_DOMAIN --concurrency (all outlets share 127.0.0.1).
Rates are article pages per second over the crawling time (first request to process exit) and over
the wall time (process start to exit); CPU time per page is the crawl process's user and system
time (start-up included) over its article pages; peak memory is each crawl process's maximum RSS.

    python bench/crawl.py [--quick] [--articles 2000] [--concurrency 8] [--profile FILE]
                          [--before DIR]

`--before DIR` also crawls the same site with the ckmon source tree in DIR (e.g. an older commit
unpacked with `git archive REV | tar -x -C DIR`), into a store of its own, in the same run: a
before/after comparison under the same machine load.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from newssite import build_site, serve_site, sources_toml  # noqa: E402

from digest.fetch.localsite import RequestLog  # noqa: E402

TARGET_RATIO = 0.5
TARGET_RSS_MB = 300


@dataclass
class Crawl:
    wall: float
    crawling: float
    cpu: float  # user + system seconds of the crawl process (and of any child it waited for)
    rss_mb: float
    requests: int
    bytes: int
    articles: int
    not_modified: int
    discovery: int


def run(
    command: list[str], log: RequestLog, articles: set[str], env: dict[str, str], cwd: Path
) -> Crawl:
    """Run one crawl process; its figures from the server's log and the kernel's rusage."""
    log.clear()
    errors = (cwd / "stderr.txt").open("w+b")  # a file, not a pipe: nothing can block the child
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
    _, status, usage = os.wait4(proc.pid, 0)  # the rusage of this child alone: its own peak RSS
    ended = time.monotonic()
    proc.returncode = os.waitstatus_to_exitcode(status)
    errors.seek(0)
    err = errors.read().decode("utf-8", "replace")
    errors.close()
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{err[-3000:]}")
    hits = [(a.path.lstrip("/"), a.status, a.size, a.at) for a in log.answers]
    first = hits[0][3] if hits else ended
    return Crawl(
        wall=ended - started,
        crawling=ended - first,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        requests=len(hits),
        bytes=sum(size for _, _, size, _ in hits),
        articles=sum(1 for path, status, _, _ in hits if path in articles and status == 200),
        not_modified=sum(1 for _, status, _, _ in hits if status == 304),
        discovery=sum(1 for path, _, _, _ in hits if path.endswith(".xml")),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 articles")
    parser.add_argument("--articles", type=int, default=0, help="article pages (default 2000)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests at once per site")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", default="", help="write a cProfile of the first ckmon crawl")
    parser.add_argument(
        "--before", default="", help="also crawl with the ckmon source tree in this folder"
    )
    args = parser.parse_args()
    count = args.articles or (500 if args.quick else 2000)
    site = build_site(count, args.seed)
    page_kb = sum(len(site.pages[p].body) for p in site.article_paths) / len(site.article_paths)
    print(
        f"Crawl: loopback site of {count} article pages (~{page_kb / 1024:.0f} kB each; en/km in "
        f"feeds, ko in news sitemaps, {sum(len(v) for v in site.feeds.values())} discovery URLs)"
    )
    print(
        f"  settings for both: ROBOTSTXT_OBEY on, DOWNLOAD_DELAY 0, AutoThrottle off, "
        f"CONCURRENT_REQUESTS 16, CONCURRENT_REQUESTS_PER_DOMAIN {args.concurrency}; "
        f"load average before: {os.getloadavg()[0]:.2f}"
    )
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    with tempfile.TemporaryDirectory() as tmp, serve_site(site) as (base, log):
        work = Path(tmp)
        (work / "sources.toml").write_text(sources_toml(site, base), encoding="utf-8")
        store = work / "bench.sqlite"
        config = work / "ckmon.toml"
        config.write_text(
            '[crawl]\nallow_private_addresses = true\nsources_file = "sources.toml"\n'
            f'[store]\nurl = "sqlite:///{store}"\n'
            "[scrapy]\nDOWNLOAD_DELAY = 0\nAUTOTHROTTLE_ENABLED = false\n"
            f'CONCURRENT_REQUESTS = 16\nCONCURRENT_REQUESTS_PER_DOMAIN = {args.concurrency}\nLOG_LEVEL = "WARNING"\n',
            encoding="utf-8",
        )
        urls = [f"{base}/{p}" for paths in site.feeds.values() for p in paths]
        noop = run(
            [
                sys.executable,
                str(BENCH / "noop_spider.py"),
                "--concurrency",
                str(args.concurrency),
                *urls,
            ],
            log,
            site.article_paths,
            env,
            work,
        )
        ckmon_env = {**env, "CKMON_CONFIG": str(config)}
        crawl = [sys.executable, "-m", "digest", "crawl"]
        profiled = [sys.executable, "-m", "cProfile", "-o", args.profile, "-m", "digest", "crawl"]
        first = run(profiled if args.profile else crawl, log, site.article_paths, ckmon_env, work)
        with sqlite3.connect(store) as db:
            stored, relevant, clusters = db.execute(
                "SELECT count(*), sum(relevant), count(DISTINCT cluster_id) FROM articles"
            ).fetchone()
        second = run(crawl, log, site.article_paths, ckmon_env, work)
        before = None
        if args.before:  # the older tree first on the path; a store of its own
            before_store = work / "before.sqlite"
            before_config = work / "before.toml"
            before_config.write_text(
                config.read_text(encoding="utf-8").replace(str(store), str(before_store)),
                encoding="utf-8",
            )
            before_env = {
                **env,
                "CKMON_CONFIG": str(before_config),
                "PYTHONPATH": str(Path(args.before).resolve()),
            }
            before = run(crawl, log, site.article_paths, before_env, work)
            with sqlite3.connect(before_store) as db:
                before_counts = db.execute(
                    "SELECT count(*), sum(relevant), count(DISTINCT cluster_id) FROM articles"
                ).fetchone()
    print(
        f"  {'crawler':<28} {'pages':>6} {'crawling s':>10} {'pages/s':>8} {'wall s':>7} "
        f"{'pages/s':>8} {'CPU ms/page':>11} {'peak RSS':>9}"
    )
    rows = [("no-op Scrapy spider", noop), ("ckmon crawl (full pipeline)", first)]
    if before is not None:
        rows.append(("ckmon, --before tree", before))
    for name, c in rows:
        print(
            f"  {name:<28} {c.articles:>6} {c.crawling:10.1f} {c.articles / c.crawling:8.1f} "
            f"{c.wall:7.1f} {c.articles / c.wall:8.1f} {1000 * c.cpu / c.articles:11.2f} "
            f"{c.rss_mb:7.0f}MB"
        )
    ratio = (first.articles / first.crawling) / (noop.articles / noop.crawling)
    wall_ratio = (first.articles / first.wall) / (noop.articles / noop.wall)
    print(
        f"  ratio ckmon / no-op: {ratio:.2f} over crawling time, {wall_ratio:.2f} over wall time "
        f"(target >= {TARGET_RATIO}: {'met' if ratio >= TARGET_RATIO else 'NOT met'})"
    )
    print(f"  stored {stored} articles, {relevant} relevant, {clusters} clusters")
    if before is not None:
        print(
            f"  --before tree ({args.before}): ratio "
            f"{(before.articles / before.crawling) / (noop.articles / noop.crawling):.2f}, peak RSS "
            f"{before.rss_mb:.0f} MB; stored {before_counts[0]} articles, {before_counts[1]} "
            f"relevant, {before_counts[2]} clusters"
        )
    print(
        f"  peak RSS of the ckmon crawl: {first.rss_mb:.0f} MB "
        f"(target < {TARGET_RSS_MB} MB: {'met' if first.rss_mb < TARGET_RSS_MB else 'NOT met'})"
    )
    print("Re-run on the unchanged site (same store)")
    print(
        f"  {'run':<10} {'requests':>8} {'discovery':>9} {'304':>5} {'articles':>8} {'kB down':>9} "
        f"{'wall s':>7} {'peak RSS':>9}"
    )
    for name, c in (("first", first), ("second", second)):
        print(
            f"  {name:<10} {c.requests:>8} {c.discovery:>9} {c.not_modified:>5} {c.articles:>8} "
            f"{c.bytes / 1024:9.0f} {c.wall:7.1f} {c.rss_mb:7.0f}MB"
        )
    ok = second.articles == 0 and second.not_modified == second.discovery
    print(
        f"  target (feeds and sitemaps only, all 304, 0 article fetches): {'met' if ok else 'NOT met'}"
        f"; other requests: {second.requests - second.discovery} (robots.txt)"
    )
    print(f"  load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
