"""Digest of 1,000 stories beside a digest of 10: the real edition and render path, timed.

A fresh SQLite store is filled with relevant articles (bench/synth.py texts, 1 to 3 outlets per
story, topics from the shipped taxonomy) first seen inside one week. Then, as `ckmon digest` does:
`edition.adhoc` (query, clusters, ranking, sections, coverage, outlet health) and `render.render`
(the archive page: HTML with CSS inlined, and the text part), and `render.render_mail` (the mail,
shortened to fit Gmail's budget). Each figure is the best of --repeat runs.

    python bench/render.py [--quick] [--stories 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import articles  # noqa: E402

from digest.analysis.topics import load_taxonomy, tag  # noqa: E402
from digest.deliver.edition import adhoc  # noqa: E402
from digest.deliver.render import render, render_mail  # noqa: E402
from digest.store.engine import dispose_engines, get_outlet, make_sessionmaker  # noqa: E402
from digest.store.models import ArticleRow  # noqa: E402

TARGET_SECONDS = 1.0
UNTIL = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
TZ = ZoneInfo("Asia/Phnom_Penh")
OUTLETS = [("khmertimes", "Khmer Times"), ("yonhap", "Yonhap"), ("postkhmer", "Post Khmer")]


def fill(url: str, stories: int, seed: int) -> int:
    """`stories` clusters of 1-3 relevant articles each; returns the number of articles."""
    taxonomy = load_taxonomy()
    sessions = make_sessionmaker(url)
    count = 0
    with sessions() as session:
        outlets = [get_outlet(session, name, title, "en") for name, title in OUTLETS]
        for n, a in enumerate(articles(stories, seed)):
            cluster_id = None
            for copy in range(1 + n % 3):
                count += 1
                seen = UNTIL - timedelta(days=6, hours=-(n % 140), minutes=copy)
                row = ArticleRow(
                    canonical_url=f"https://{OUTLETS[copy][0]}.test/{n}",
                    url=f"https://{OUTLETS[copy][0]}.test/{n}",
                    outlet_id=outlets[copy].id,
                    title=a.title,
                    text=a.text,
                    lead="",
                    lang=a.lang,
                    published_at=seen - timedelta(hours=2),
                    first_seen_at=seen,
                    relevant=True,
                    topics=tag(a.title, a.text, taxonomy),
                    cluster_id=cluster_id,
                )
                session.add(row)
                session.flush()
                cluster_id = cluster_id or row.id
                row.cluster_id = cluster_id
        session.commit()
    return count


def timed(url: str, repeat: int) -> tuple[float, float, float, int, int]:
    """Best times of (edition, page render, mail render), the page's and the mail's HTML bytes."""
    sessions = make_sessionmaker(url)
    best = [float("inf")] * 3
    for _ in range(repeat):
        with sessions() as session:
            started = time.perf_counter()
            view = adhoc(session, UNTIL - timedelta(days=7), UNTIL, TZ)
            built = time.perf_counter()
        html, _text = render(view, generated=UNTIL, page_url="https://example.org/archive/")
        rendered = time.perf_counter()
        mail = render_mail(view, generated=UNTIL, budget=98_000, page_url="https://example.org/")
        mailed = time.perf_counter()
        for i, t in enumerate((built - started, rendered - built, mailed - rendered)):
            best[i] = min(best[i], t)
    return best[0], best[1], best[2], len(html.encode()), len(mail.html.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 stories instead of 1,000")
    parser.add_argument("--stories", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    stories = args.stories or (200 if args.quick else 1000)
    print(f"Digest render: real edition + render path, best of {args.repeat}")
    print(
        f"  {'stories':>7} {'articles':>8} {'edition s':>9} {'page s':>7} {'mail s':>7} "
        f"{'total s':>8} {'page kB':>8} {'mail kB':>8}"
    )
    totals = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (10, stories):
            url = f"sqlite:///{Path(tmp) / f'render{n}.sqlite'}"
            count = fill(url, n, args.seed)
            edition, page, mail, page_bytes, mail_bytes = timed(url, args.repeat)
            totals[n] = edition + page + mail
            print(
                f"  {n:>7} {count:>8} {edition:9.3f} {page:7.3f} {mail:7.3f} {totals[n]:8.3f} "
                f"{page_bytes / 1024:8.0f} {mail_bytes / 1024:8.0f}"
            )
        dispose_engines()
    verdict = "met" if totals[stories] < TARGET_SECONDS else "NOT met"
    print(
        f"  {stories} stories cost x{totals[stories] / totals[10]:.1f} the time of 10 "
        f"(target {stories} < {TARGET_SECONDS:.0f} s: {verdict})"
    )


if __name__ == "__main__":
    main()
