"""Duplicate clustering at 1k, 10k and 100k synthetic articles, beside an exact-hash baseline.

Each size runs in its own child process (so its peak memory is its own): the articles are generated
first (bench/synth.py: English, Korean, Khmer, ~15% edited copies; seedable), then fed one by one
through what `digest.analysis.ingest` does per article: the content hash against the hashes seen so far, and
if none matches, the near-duplicate index (`digest.analysis.dedupe.Deduper.match`, then `add`, as
`Analyzer.refresh` does once the article is stored). The baseline is the exact content hash alone.

Prints, per size: time (wall clock, and the CPU time of the child: on a shared machine the gap is
time spent waiting for a core), articles/s, peak RSS of the child and its growth during clustering,
the growth of time against the previous size, and how many edited copies joined their original's
cluster (and how many originals were wrongly merged).

`--before DIR` also runs the same loop, in the same run, with `digest` imported from the ckmon source
tree in DIR (e.g. a clean clone of an older commit): a before/after comparison under the same load.

    python bench/dedupe.py [--quick] [--sizes 1000,10000,100000] [--seed 7] [--budget 240]
                           [--before DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TARGET_100K_SECONDS = 60.0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def child(size: int, seed: int, mode: str, budget: float, tree: str) -> dict[str, float]:
    """One size, in this process: cluster `size` articles with `mode` ('ckmon' or 'exact'), with
    the `digest` package of source tree `tree` ("": this one).

    Stops early once `budget` seconds are spent (the figures then cover the articles done)."""
    if tree:
        sys.path.insert(0, str(Path(tree).resolve()))
    from synth import articles

    from digest.analysis.dedupe import Deduper, content_hash

    started = time.perf_counter()
    corpus = list(articles(size, seed))
    generated = time.perf_counter() - started
    rss_before = _rss_mb()

    def texts(ids: list[int]) -> dict[int, str]:  # the benchmark's stand-in for the database
        return {i: f"{corpus[i].title}\n{corpus[i].text}" for i in ids}

    deduper = Deduper(texts=texts)
    by_hash: dict[str, int] = {}
    cluster_of: list[int] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for article in corpus:
        if article.index % 1000 == 0 and time.perf_counter() - started > budget:
            break
        text = f"{article.title}\n{article.text}"
        digest_hash = content_hash(article.text)
        cluster = by_hash.get(digest_hash)
        if cluster is None and mode == "ckmon":
            cluster = deduper.match(text)
        cluster = article.index if cluster is None else cluster
        by_hash.setdefault(digest_hash, cluster)
        if mode == "ckmon":
            deduper.add(article.index, cluster, text)
        cluster_of.append(cluster)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    corpus = corpus[: len(cluster_of)]
    copies = [a for a in corpus if a.copy_of >= 0]
    joined = sum(1 for a in copies if cluster_of[a.index] == cluster_of[a.copy_of])
    originals = [a for a in corpus if a.copy_of < 0]
    merged = sum(1 for a in originals if cluster_of[a.index] != a.index)
    return {
        "size": size,
        "done": len(cluster_of),
        "generated_s": generated,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "rss_mb": _rss_mb(),
        "rss_growth_mb": _rss_mb() - rss_before,
        "copies": len(copies),
        "copies_joined": joined,
        "originals": len(originals),
        "originals_merged": merged,
    }


def run_child(size: int, seed: int, mode: str, budget: float, tree: str) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", str(size), "--seed", str(seed)]
    out = subprocess.run(
        [*command, "--mode", mode, "--budget", str(budget), "--tree", tree],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"dedupe child ({size}, {mode}) failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 1k and 10k only")
    parser.add_argument("--sizes", default="", help="comma-separated sizes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--budget", type=float, default=240, help="seconds per size before stopping early"
    )
    parser.add_argument(
        "--before", default="", help="also run with the ckmon source tree in this folder"
    )
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="ckmon", help=argparse.SUPPRESS)
    parser.add_argument("--tree", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.seed, args.mode, args.budget, args.tree)))
        return
    if args.before and not (Path(args.before) / "digest" / "dedupe.py").is_file():
        raise SystemExit(
            f"--before {args.before}: not a ckmon source tree (no digest/analysis/dedupe.py)"
        )
    sizes = [int(s) for s in args.sizes.split(",") if s] or (
        [1000, 10000] if args.quick else [1000, 10000, 100000]
    )
    print(f"Dedup: synthetic articles (en/ko/km, ~15% edited copies), seed {args.seed}")
    print(f"  load average before: {os.getloadavg()[0]:.2f}")
    print(
        f"  {'articles':>8} {'mode':<26} {'time s':>8} {'CPU s':>7} {'art/s':>8} {'growth':>7} "
        f"{'peak RSS':>9} {'+RSS':>7}  copies joined / originals merged"
    )
    runs = [
        ("exact", "baseline: exact hash only", ""),
        ("ckmon", "ckmon (hash + MinHash LSH)", ""),
    ]
    if args.before:
        runs.append(("ckmon", "ckmon, --before tree", args.before))
    for mode, label, tree in runs:
        previous = None
        for size in sizes:
            r = run_child(size, args.seed, mode, args.budget, tree)
            growth = f"x{r['seconds'] / previous:5.1f}" if previous else "     -"
            previous = r["seconds"]
            if r["done"] < size:
                print(f"  {size:>8}: stopped after {r['done']} articles (--budget {args.budget} s)")
                growth = "     ?"
            print(
                f"  {r['done']:>8} {label:<26} {r['seconds']:8.2f} {r['cpu_seconds']:7.2f} "
                f"{r['done'] / r['seconds']:8.0f} "
                f"{growth:>7} {r['rss_mb']:7.0f}MB {r['rss_growth_mb']:5.0f}MB  "
                f"{r['copies_joined']}/{r['copies']} / {r['originals_merged']}/{r['originals']}"
            )
            if size == 100000 and mode == "ckmon" and not tree:
                done = r["done"] == size and r["seconds"] < TARGET_100K_SECONDS
                verdict = "met" if done else "NOT met"
                print(f"  target 100k < {TARGET_100K_SECONDS:.0f} s: {verdict}")
    print("  (generation of the texts is not timed; growth = time / time at the previous size)")
    if args.before:
        print(f"  --before tree: {args.before}")
    print(f"  load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
