"""Extraction figures, each beside a baseline from the same run.

1. Body precision/recall/F1 on the article-extraction-benchmark (scrapinghub), computed as that
   benchmark computes them: \\w+ tokens, 4-token shingles counted with multiplicity, per-page
   TP/FP/FN normalised to sum 1, precision and recall averaged over pages, F1 from the two means.
   Baseline: trafilatura alone, called as the benchmark's own trafilatura runner calls it.
2. Title and publication-date accuracy on every fixture page that ships expected metadata.
   Baselines: trafilatura's metadata title; htmldate's date.
3. Exceptions: extract_article over every HTML page under ../shared/fixtures.

Usage: python bench/extraction.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from htmldate import find_date  # noqa: E402

from digest.analysis.dates import parse_iso  # noqa: E402
from digest.analysis.extract import extract_article  # noqa: E402

TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text or "")
    grams = (tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))
    return Counter(g for g in grams if g)


def tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    a, b = shingles(true), shingles(pred)
    tp, fp, fn = sum((a & b).values()), sum((b - a).values()), sum((a - b).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def prf(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))

    p = statistics.mean(precision(*r) for r in rows if r[0] + r[1] > 0)
    r = statistics.mean(recall(*r) for r in rows if r[0] + r[2] > 0)
    return p, r, 2 * p * r / (p + r)


def body_benchmark(folder: Path) -> None:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    ours, base = [], []
    started = time.perf_counter()
    for key, expected in truth.items():
        with gzip.open(folder / "html" / f"{key}.html.gz", "rt", encoding="utf8") as fh:
            html = fh.read()
        article = extract_article(html, expected.get("url") or "https://example.invalid/")
        ours.append(tp_fp_fn(expected["articleBody"], article.text))
        baseline = trafilatura.extract(html, include_comments=False) or ""
        base.append(tp_fp_fn(expected["articleBody"], baseline))
    elapsed = time.perf_counter() - started
    print(f"Body extraction, article-extraction-benchmark ({len(truth)} pages, {elapsed:.0f} s)")
    for name, rows in (("ckmon extract_article", ours), ("trafilatura alone", base)):
        p, r, f = prf(rows)
        print(f"  {name:<24} precision={p:.4f}  recall={r:.4f}  F1={f:.4f}")


def metadata_cases(shared: Path) -> Iterator[tuple[str, Path, str, str]]:
    """(label, html path, url, expected title or '', expected date or '')."""
    fixtures = shared / "fixtures"
    for path in sorted(fixtures.rglob("*.expected*.json")):
        for url, entry in json.loads(path.read_text(encoding="utf-8")).items():
            html = path.parent / entry["file"]
            if html.exists():
                page_url = url if url.startswith("http") else "https://example.invalid/"
                yield path.stem, html, page_url, entry.get("title", ""), entry.get("date", "")
    for path in sorted(fixtures.rglob("expected-metadata.json")):
        meta = json.loads(path.read_text(encoding="utf-8"))
        yield (
            path.parent.name,
            path.parent / "source.html",
            "https://example.invalid/",
            meta.get("title") or "",
            meta.get("publishedTime") or "",
        )
    for path in sorted(fixtures.rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "publish_date" not in data:
            continue
        html = path.with_suffix(".html")
        if not html.exists():
            html = next(path.parent.glob("*.html"), path)
        if html.suffix == ".html":
            date = data.get("publish_date") or ""
            yield (
                path.stem,
                html,
                data["url"],
                data.get("title", ""),
                "" if date == "None" else date,
            )


def _norm_title(title: str) -> str:
    title = unicodedata.normalize("NFKC", title or "").casefold()
    title = re.sub(r"[‘’`´]", "'", re.sub(r"[“”]", '"', title))
    return " ".join(title.split())


def _date_ok(got: datetime | None, expected: str) -> bool:
    """Exact instant (±1 min) when the expectation has a time and zone; else the expected calendar
    day in some zone between UTC-12 and UTC+14."""
    if got is None:
        return False
    stamp = parse_iso(expected)
    has_zone = bool(re.search(r"(Z|[+-]\d{2}:?\d{2})$", expected.strip()))
    if stamp is not None and has_zone and "T" in expected:
        return abs(got - stamp) <= timedelta(minutes=1)
    day = datetime.fromisoformat(expected.strip()[:10]).replace(tzinfo=UTC)
    return day - timedelta(hours=14) <= got < day + timedelta(days=1, hours=12)


def metadata_accuracy(shared: Path) -> None:
    titles = {"ours": [0, 0], "base": [0, 0]}
    dates = {"ours": [0, 0], "base": [0, 0]}
    misses = []
    for label, html_path, url, title, date in metadata_cases(shared):
        html = html_path.read_bytes()
        article = extract_article(html, url)
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
        if title:
            for name, got in (("ours", article.title), ("base", doc.title if doc else "")):
                titles[name][0] += _norm_title(got) == _norm_title(title)
                titles[name][1] += 1
            if _norm_title(article.title) != _norm_title(title):
                misses.append(f"    title {label}: {article.title!r} != {title!r}")
        if date:
            found = find_date(html, outputformat="%Y-%m-%dT%H:%M:%S%z", original_date=True)
            base_date = (parse_iso(found) or parse_iso(found[:10])) if found else None
            for name, got in (("ours", article.published), ("base", base_date)):
                dates[name][0] += _date_ok(got, date)
                dates[name][1] += 1
            if not _date_ok(article.published, date):
                misses.append(
                    f"    date {label}: {article.published} ({article.date_source}) vs {date}"
                )
    print("Title and date accuracy on fixture pages with expected metadata")
    for name, label in (("ours", "ckmon extract_article"), ("base", "trafilatura/htmldate")):
        (tok, tn), (dok, dn) = titles[name], dates[name]
        print(f"  {label:<24} title {tok}/{tn} = {tok / tn:.2f}   date {dok}/{dn} = {dok / dn:.2f}")
    print("  misses (ours):", *misses, sep="\n")


def exceptions(shared: Path) -> None:
    pages = [p for p in (shared / "fixtures").rglob("*") if p.name.endswith((".html", ".html.gz"))]
    failed = []
    for path in pages:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        try:
            extract_article(raw, "https://example.invalid/" + path.name)
        except Exception as exc:  # the point of this count: nothing may escape
            failed.append(f"{path.relative_to(shared)}: {exc!r}")
    print(f"Exceptions over every fixture page: {len(failed)} of {len(pages)} pages")
    for line in failed:
        print("   ", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    body_benchmark(args.shared / "fixtures" / "article-extraction-benchmark")
    metadata_accuracy(args.shared)
    exceptions(args.shared)


if __name__ == "__main__":
    main()
