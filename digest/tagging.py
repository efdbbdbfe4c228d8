"""`ckmon tag`: relevance, topics and clusters for records given as JSON lines.

It runs the pipeline's own `ingest` against a throw-away SQLite store, so a tagged file gets exactly
the verdicts a crawl would give: same canonical URLs, scores, topics and duplicate clusters. Records
are ingested oldest first, so the earliest item of a story leads its cluster.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from digest.analysis.article import Article
from digest.analysis.dates import parse_date
from digest.analysis.ingest import Analyzer, ingest
from digest.analysis.textnorm import valid_text
from digest.analysis.urls import canonical_url
from digest.errors import CkmonError
from digest.store.engine import make_sessionmaker
from digest.store.models import ArticleRow

# A fixed clock: every record counts as seen in the same run, whatever its date.
TAG_CLOCK = datetime(2000, 1, 1, tzinfo=UTC)


class InputError(CkmonError):
    """A line of the input file is not a usable record."""

    exit_code = 2


@dataclass
class Record:
    id: str
    url: str
    title: str
    text: str
    lang: str = ""
    published: datetime | None = None


def read_records(lines: Iterable[str], source: str = "input") -> Iterator[Record]:
    """Records from JSON lines; a bad line is an error naming the line, never silently skipped."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line, object_hook=_valid_strings)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}:{number}: not JSON: {exc.msg}") from exc
        if not isinstance(data, dict) or "id" not in data:
            raise InputError(f'{source}:{number}: a record needs at least an "id"')
        published = data.get("published")
        yield Record(
            id=str(data["id"]),
            url=str(data.get("url") or f"urn:ckmon:{data['id']}"),
            title=str(data.get("title") or ""),
            text=str(data.get("text") or ""),
            lang=str(data.get("lang") or ""),
            published=parse_date(published) if isinstance(published, str) and published else None,
        )


def _valid_strings(data: dict[str, Any]) -> dict[str, Any]:
    """A record's strings cleaned of what JSON escapes may carry (lone surrogates, NUL), which no
    store accepts and no output line can encode."""
    return {k: valid_text(v) if isinstance(v, str) else v for k, v in data.items()}


def tag_records(records: list[Record], analyzer: Analyzer | None = None) -> list[dict[str, Any]]:
    """One result per record, in input order: id, relevant, score, topics, cluster (a record id)."""
    analyzer = analyzer or Analyzer()
    order = sorted(
        range(len(records)),
        key=lambda i: (records[i].published is None, records[i].published or TAG_CLOCK, i),
    )
    with tempfile.TemporaryDirectory(prefix="ckmon-tag-") as tmp:
        sessions = make_sessionmaker(f"sqlite:///{Path(tmp) / 'tag.sqlite'}")
        row_of: dict[int, int] = {}
        with sessions() as session:
            for i in order:
                row_of[i] = _ingest_one(records[i], session, analyzer)
            rows = {
                r.id: r
                for r in session.scalars(
                    select(ArticleRow).where(ArticleRow.id.in_(row_of.values()))
                )
            }
            members: dict[int, list[int]] = {}
            for i in order:
                row = rows[row_of[i]]
                members.setdefault(row.cluster_id or row.id, []).append(i)
        results = []
        for i, record in enumerate(records):
            row = rows[row_of[i]]
            lead = members[row.cluster_id or row.id][0]  # the earliest record of the cluster
            results.append(
                {
                    "id": record.id,
                    "relevant": row.relevant,
                    "score": row.relevance_score,
                    "topics": list(row.topics),
                    "cluster": records[lead].id,
                }
            )
    return results


def _ingest_one(record: Record, session: Any, analyzer: Analyzer) -> int:
    article = Article(
        url=record.url,
        title=record.title,
        text=record.text,
        lang=record.lang,
        published=record.published,
        canonical_url=canonical_url(record.url) if "://" in record.url else record.url,
        outlet=urlsplit(record.url).hostname or "input",
    )
    result = ingest(article, session, analyzer, now=TAG_CLOCK)
    if result.article_id is None:  # not reachable with one writer; guards the type
        raise InputError(f"record {record.id} could not be stored")
    return result.article_id
