"""A generated site of numbered article pages and one feed listing them: crawls at scale."""

from __future__ import annotations

from pathlib import Path


def write_numbered_site(root: Path, count: int, published: str = "{{ago:2d:iso}}") -> list[str]:
    """A site of `count` article pages and a feed listing them all (for crawls at scale).

    Returns the article paths. The text is written for ckmon's tests and benchmarks; `published`
    is each page's date, by default two days before the server serving it started.
    """
    root.mkdir(parents=True, exist_ok=True)
    paths, items = [], []
    for n in range(count):
        path = f"news/{n:04d}.html"
        title = f"Market report number {n}: prices at the central market"
        paragraphs = "".join(
            f"<p>Report {n}, part {p}: traders at the central market said the price of rice, "
            f"fish and vegetables moved by {n % 7 + p} percent this week, and that buyers came "
            "early in the morning before the heat. (Sample text written for ckmon.)</p>"
            for p in range(1, 4)
        )
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<link rel="canonical" href="{{BASE}}/{path}">'
            f'<meta property="article:published_time" content="{published}"></head>'
            f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>",
            encoding="utf-8",
        )
        items.append(f"<item><title>{title}</title><link>{{BASE}}/{path}</link></item>")
        paths.append(path)
    (root / "feed.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Numbered site'
        "</title><link>{BASE}/</link><description>Written for ckmon</description>"
        + "".join(items)
        + "</channel></rss>",
        encoding="utf-8",
    )
    return paths
