"""One crawl worker against two over the same loopback site, through a shared scrapy-redis queue.

Each page is answered after a delay, like a distant server, and each worker keeps the polite default
of one request at a time per site: the second worker is what doubles the rate. Prints, for 1 and 2
workers, the wall time (process start to exit) and the fetch rate (first to last article fetched).

    python bench/workers.py --redis redis://127.0.0.1:6379/0 [--postgres postgresql+psycopg://...]

Without --postgres each round uses a fresh SQLite file; with it, a scratch database created (and
dropped) on that server, so the role needs CREATEDB. Redis keys of the benchmark are removed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digest.fetch.localsite import serve, write_numbered_site  # noqa: E402
from digest.store.engine import dispose_engines, make_sessionmaker  # noqa: E402
from digest.store.models import ArticleRow  # noqa: E402


@contextmanager
def scratch_store(tmp: Path, postgres: str | None) -> Iterator[str]:
    if not postgres:
        yield f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    admin_url = make_url(postgres)
    name = f"ckmon_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_engines()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def watch(
    requested: list[str], paths: set[str], marks: dict[str, float], done: threading.Event
) -> None:
    """Note when the first and the last article page were asked for."""
    while not done.is_set():
        seen = sum(1 for p in list(requested) if p in paths)
        if seen and "first" not in marks:
            marks["first"] = time.monotonic()
        if seen >= len(paths):
            marks["last"] = time.monotonic()
            return
        time.sleep(0.005)


def one_round(workers: int, args: argparse.Namespace, tmp: Path) -> tuple[float, float, int]:
    site = tmp / f"site{workers}"
    paths = set(write_numbered_site(site, args.articles))
    name = f"bench{workers}_{uuid.uuid4().hex[:6]}"
    with scratch_store(tmp, args.postgres) as store, serve(site, delay=args.delay) as served:
        base, requested = served
        (tmp / "sources.toml").write_text(
            f'[{name}]\ntitle = "Bench"\nlang = "en"\nhome = "{base}/"\nkind = "feed"\n'
            f'feeds = ["{base}/feed.xml"]\n',
            encoding="utf-8",
        )
        config = tmp / "ckmon.toml"
        config.write_text(
            '[crawl]\nallow_private_addresses = true\nsources_file = "sources.toml"\n'
            '[scrapy]\nDOWNLOAD_DELAY = 0\nAUTOTHROTTLE_ENABLED = false\nLOG_LEVEL = "WARNING"\n',
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        # The URLs may carry passwords, which ckmon reads only from the environment.
        env.update(CKMON_CONFIG=str(config), CKMON_DATABASE_URL=store, CKMON_REDIS_URL=args.redis)
        marks: dict[str, float] = {}
        done = threading.Event()
        watcher = threading.Thread(target=watch, args=(requested, paths, marks, done))
        watcher.start()
        started = time.monotonic()
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "digest", "crawl"],
                cwd=tmp,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(workers)
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=600)
            if proc.returncode != 0:
                raise SystemExit(f"a worker failed ({proc.returncode}):\n{err[-2000:]}")
        wall = time.monotonic() - started
        done.set()
        watcher.join()
        with make_sessionmaker(store)() as session:
            stored = session.scalar(select(func.count()).select_from(ArticleRow)) or 0
    client = redis.Redis.from_url(args.redis)
    for key in client.scan_iter(f"ckmon:{name}:*"):
        client.delete(key)
    client.close()
    fetching = marks.get("last", started) - marks.get("first", started)
    return wall, fetching, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default=os.environ.get("CKMON_TEST_REDIS_URL"))
    parser.add_argument("--postgres", default=None, help="server URL for scratch databases")
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds per page")
    args = parser.parse_args()
    if not args.redis:
        raise SystemExit("give --redis URL (or set CKMON_TEST_REDIS_URL)")
    store_kind = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"site: {args.articles} articles, {args.delay:.2f} s per page; store: {store_kind}; "
        "one request at a time per worker"
    )
    with tempfile.TemporaryDirectory() as tmp:
        results = {n: one_round(n, args, Path(tmp)) for n in (1, 2)}
    for n, (wall, fetching, stored) in results.items():
        print(
            f"{n} worker{'s' if n > 1 else ' '}: {stored} stored, wall {wall:5.1f} s "
            f"({args.articles / wall:5.1f} articles/s), fetching {fetching:5.1f} s "
            f"({args.articles / max(fetching, 1e-9):5.1f} articles/s)"
        )
    one, two = results[1], results[2]
    print(
        f"speed-up with 2 workers: wall x{one[0] / two[0]:.2f}, "
        f"fetching x{one[1] / max(two[1], 1e-9):.2f}"
    )


if __name__ == "__main__":
    main()
