"""`ckmon articles`: the stored articles a filter selects, as a table to read or as CSV or JSON
Lines to take elsewhere (the same rows either way), the analyst's marks beside the automatic
verdicts so they can serve as labels."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

import wcwidth
from sqlalchemy import cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from digest.analysis.textnorm import display_text
from digest.store.marks import relevant_in_digest, topics_in_digest
from digest.store.models import ArticleRow, Mark, Outlet
from digest.store.search import matching

# The exported fields, in order: what the digest uses (the mark where there is one), the mark, and
# the automatic verdict it corrects.
FIELDS = (
    "id",
    "published",
    "first_seen",
    "outlet",
    "lang",
    "relevant",
    "topics",
    "marked",
    "marked_topics",
    "marked_at",
    "auto_relevant",
    "auto_topics",
    "score",
    "cluster",
    "title",
    "url",
)


@dataclass(frozen=True)
class Filters:
    """What `ckmon articles` selects; None or empty: no condition."""

    since: datetime | None = None
    topic: str = ""
    lang: str = ""
    outlet: str = ""
    relevant_only: bool = True
    search: str = ""
    marked_only: bool = False
    limit: int | None = None


def select_articles(session: Session, filters: Filters) -> list[dict[str, Any]]:
    """The articles `filters` selects, newest first (by publication, else by first sight)."""
    when = func.coalesce(ArticleRow.published_at, ArticleRow.first_seen_at)
    query = (
        select(
            ArticleRow.id,
            ArticleRow.published_at,
            ArticleRow.first_seen_at,
            Outlet.name,
            ArticleRow.lang,
            ArticleRow.relevant,
            ArticleRow.topics,
            ArticleRow.relevance_score,
            ArticleRow.cluster_id,
            ArticleRow.title,
            ArticleRow.url,
            Mark.relevant,
            Mark.topics,
            Mark.marked_at,
        )
        .outerjoin(Outlet, Outlet.id == ArticleRow.outlet_id)
        .outerjoin(Mark, Mark.article_id == ArticleRow.id)
        .order_by(when.desc(), ArticleRow.id.desc())
    )
    if filters.since is not None:
        query = query.where(when >= filters.since)
    if filters.lang:
        query = query.where(ArticleRow.lang == filters.lang)
    if filters.outlet:
        query = query.where(Outlet.name == filters.outlet)
    if filters.relevant_only:
        query = query.where(relevant_in_digest())
    if filters.marked_only:
        query = query.where(Mark.article_id.is_not(None))
    if filters.topic:
        # Stored as a JSON list: the name in quotes is a whole element, on either back end.
        topics = cast(func.coalesce(Mark.topics, ArticleRow.topics), Text)
        query = query.where(topics.contains(f'"{filters.topic}"', autoescape=True))
    if filters.search:
        query = query.where(matching(session, filters.search))
    if filters.limit is not None:
        query = query.limit(filters.limit)
    return [_record(*row) for row in session.execute(query)]


def _record(
    article_id: int,
    published: datetime | None,
    first_seen: datetime,
    outlet: str | None,
    lang: str,
    auto_relevant: bool,
    auto_topics: list[str] | None,
    score: float,
    cluster: int | None,
    title: str,
    url: str,
    marked: bool | None,
    marked_topics: list[str] | None,
    marked_at: datetime | None,
) -> dict[str, Any]:
    return {
        "id": article_id,
        "published": published.isoformat() if published else None,
        "first_seen": first_seen.isoformat(),
        "outlet": outlet or "",
        "lang": lang,
        "relevant": bool(marked if marked is not None else auto_relevant),
        "topics": topics_in_digest(auto_topics, marked_topics),
        "marked": marked,
        "marked_topics": marked_topics,
        "marked_at": marked_at.isoformat() if marked_at else None,
        "auto_relevant": bool(auto_relevant),
        "auto_topics": list(auto_topics or []),
        "score": score,
        "cluster": cluster or article_id,
        "title": title,
        "url": url,
    }


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> None:
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> None:
    """One row per article; lists joined with ';', booleans as true/false, nothing as empty."""
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({key: _cell(value) for key, value in record.items()})


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return "" if value is None else value


def table_lines(records: list[dict[str, Any]], tz: ZoneInfo, width: int) -> Iterator[str]:
    """A table for a terminal `width` columns wide: id (for `ckmon explain ID`), the local date,
    outlet, language, relevance (`*`: marked by hand), topics, and as much title as fits."""
    id_width = max((len(str(r["id"])) for r in records), default=2)
    head = (
        f"{'id':>{id_width}}  {'date':<10}  {'outlet':<17} {'lang':<4} {'rel':<4} {'topics':<24} "
    )
    yield head + "title"
    room = max(width - wcwidth.width(head), 20)
    for r in records:
        when = datetime.fromisoformat(r["published"] or r["first_seen"]).astimezone(tz)
        rel = ("yes" if r["relevant"] else "no") + ("*" if r["marked"] is not None else "")
        topics = _fit(",".join(r["topics"]) or "-", 24)
        title = _fit(display_text(r["title"]) or "(no title)", room)
        yield (
            f"{r['id']:>{id_width}}  {when:%Y-%m-%d}  {_fit(r['outlet'], 17):<17} "
            f"{r['lang'] or '?':<4} {rel:<4} {topics:<24} {title}"
        )


def _fit(text: str, columns: int) -> str:
    """`text` in at most `columns` terminal columns (a Korean syllable takes two, a Khmer vowel
    sign none), cut with an ellipsis."""
    if wcwidth.width(text) <= columns:
        return text
    return wcwidth.clip(text, 0, columns - 1).rstrip() + "…"
