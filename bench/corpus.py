"""Relevance, topic and duplicate figures on the labelled corpus, beside baselines from the same run.

The corpus (../shared/corpus/labels.jsonl) stores labels, not page texts. The texts are read from a
cache kept outside the repository: a JSON object {url: page opening text} (--pages, else
$CKMON_CORPUS_PAGES, else ckmon/corpus/pages.json in the user's cache folder, $XDG_CACHE_HOME or
~/.cache). Rows without cached text are skipped and counted.

Every figure comes from `digest.tagging.tag_records`, the code behind `ckmon tag` (which runs the
pipeline's own ingest). Baselines:
- relevance: "both country names anywhere" (Cambodia/캄보디아/កម្ពុជា and Korea/한국/កូរ៉េ);
- topics: "any term of the topic anywhere" (same term lists, no weighting);
- duplicates: exact matching only (canonical URL or identical text).

Usage: python bench/corpus.py [--labels FILE] [--pages FILE] [-v]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digest.analysis.dedupe import content_hash  # noqa: E402
from digest.analysis.topics import load_taxonomy  # noqa: E402
from digest.analysis.urls import canonical_url  # noqa: E402
from digest.tagging import Record, tag_records  # noqa: E402

TOPICS = [
    "diplomacy",
    "trade-investment",
    "labour-migration",
    "education-culture",
    "aid-development",
    "scams-crime",
    "tourism-transport",
    "security-defence",
    "health",
    "asean-multilateral",
]
NAIVE_KH = re.compile(r"cambodia|캄보디아|កម្ពុជា", re.I)
NAIVE_KR = re.compile(r"korea|한국|កូរ៉េ", re.I)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def show(name: str, tp: int, fp: int, fn: int) -> None:
    p, r, f = prf(tp, fp, fn)
    print(f"  {name:<34} P={p:.3f} R={r:.3f} F1={f:.3f}  (tp={tp} fp={fp} fn={fn})")


def relevance(rows: list[dict], out: dict[str, dict], texts: dict[str, str], verbose: bool) -> None:
    print("Relevance")
    for name, predict in (
        ("ckmon (tag)", lambda r: out[r["id"]]["relevant"]),
        ("baseline: both names anywhere", lambda r: _naive(r, texts)),
    ):
        tp = sum(1 for r in rows if predict(r) and r["relevant"])
        fp = sum(1 for r in rows if predict(r) and not r["relevant"])
        fn = sum(1 for r in rows if not predict(r) and r["relevant"])
        show(name, tp, fp, fn)
    if verbose:
        for r in rows:
            if out[r["id"]]["relevant"] != r["relevant"]:
                got = out[r["id"]]
                print(
                    f"    miss {r['id']} want={r['relevant']} score={got['score']} {r['title'][:70]}"
                )


def _naive(row: dict, texts: dict[str, str]) -> bool:
    text = f"{row['title']}\n{texts[row['url']]}"
    return bool(NAIVE_KH.search(text) and NAIVE_KR.search(text))


def topic_counts(rows: list[dict], predict) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    counts = {t: [0, 0, 0] for t in TOPICS}
    for r in rows:
        want, got = set(r["topics"]), set(predict(r))
        for t in TOPICS:
            counts[t][0] += t in want and t in got
            counts[t][1] += t in got and t not in want
            counts[t][2] += t in want and t not in got
    return counts


def topics(rows: list[dict], out: dict[str, dict], texts: dict[str, str], verbose: bool) -> None:
    rows = [r for r in rows if r["relevant"]]  # topics are labelled on relevant pages only
    taxonomy = load_taxonomy()

    def anywhere(r: dict) -> list[str]:
        text = f"{r['title']}\n{texts[r['url']]}"
        return [
            name
            for name, topic in taxonomy.topics.items()
            if topic.strong.search(text) or (topic.weak and topic.weak.search(text))
        ]

    print(f"Topics (on the {len(rows)} relevant rows)")
    for name, predict in (
        ("ckmon (tag)", lambda r: out[r["id"]]["topics"]),
        ("baseline: any topic term anywhere", anywhere),
    ):
        c = topic_counts(rows, predict)
        tp, fp, fn = (sum(v[i] for v in c.values()) for i in range(3))
        macro = [prf(*v)[2] for v in c.values() if v[0] + v[2] > 0]
        show(f"{name} micro", tp, fp, fn)
        print(f"  {name + ' macro-F1':<34} {sum(macro) / len(macro):.3f}")
    counts = topic_counts(rows, lambda r: out[r["id"]]["topics"])
    for t, c in counts.items():
        print(f"    {t:<20} F1={prf(*c)[2]:.2f} (tp={c[0]} fp={c[1]} fn={c[2]})")
    if verbose:
        for r in rows:
            want, got = set(r["topics"]), set(out[r["id"]]["topics"])
            if want != got:
                print(f"    {r['id']} want={sorted(want)} got={sorted(got)} {r['title'][:50]}")


def duplicates(rows: list[dict], out: dict[str, dict], texts: dict[str, str]) -> None:
    def pairs(key: dict[str, str | None]) -> set[tuple[str, str]]:
        found = set()
        for a, b in itertools.combinations(rows, 2):
            if key[a["id"]] is not None and key[a["id"]] == key[b["id"]]:
                found.add((a["id"], b["id"]))
        return found

    truth = pairs({r["id"]: r["dup_group"] for r in rows})
    ours = pairs({r["id"]: out[r["id"]]["cluster"] for r in rows})
    exact: dict[str, str | None] = {}
    seen: dict[str, str] = {}
    for r in rows:
        for key in (canonical_url(r["url"]), content_hash(texts[r["url"]])):
            if key in seen:
                exact[r["id"]] = seen[key]
                break
        else:
            exact[r["id"]] = r["id"]
        seen.setdefault(canonical_url(r["url"]), exact[r["id"]])
        seen.setdefault(content_hash(texts[r["url"]]), exact[r["id"]])
    baseline = pairs(exact)
    print(f"Duplicates, pairwise ({len(truth)} labelled duplicate pairs)")
    for name, found in (("ckmon (tag)", ours), ("baseline: exact URL/text only", baseline)):
        show(name, len(found & truth), len(found - truth), len(truth - found))
    events = pairs({r["id"]: r["event"] for r in rows}) - truth
    print(f"  same-event pairs wrongly merged: {len(ours & events)} of {len(events)}")


def default_pages() -> Path:
    """$CKMON_CORPUS_PAGES, else ckmon/corpus/pages.json in the user's cache folder (XDG)."""
    if named := os.environ.get("CKMON_CORPUS_PAGES"):
        return Path(named)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "ckmon" / "corpus" / "pages.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=ROOT.parent / "shared/corpus/labels.jsonl")
    parser.add_argument("--pages", type=Path, default=default_pages())
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args()
    texts: dict[str, str] = json.loads(args.pages.read_text(encoding="utf-8"))
    labelled = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in labelled if r["url"] in texts]
    print(f"Corpus: {len(rows)} of {len(labelled)} labelled rows have cached text ({args.pages})")
    records = [
        Record(
            id=r["id"],
            url=r["url"],
            title=r["title"],
            text=texts[r["url"]],
            lang=r["lang"],
            published=None,
        )
        for r in rows
    ]
    out = {o["id"]: o for o in tag_records(records)}
    relevance(rows, out, texts, args.verbose)
    topics(rows, out, texts, args.verbose)
    duplicates(rows, out, texts)


if __name__ == "__main__":
    main()
