"""`ckmon explain`: why a stored article is relevant or not, its topics and its cluster."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.analysis.dedupe import shingle_hashes, similarity
from digest.analysis.relevance import RelevanceRules, score
from digest.analysis.topics import Taxonomy, topic_scores
from digest.analysis.urls import canonical_url, link_problem
from digest.errors import CkmonError
from digest.store.marks import topics_in_digest
from digest.store.models import ArticleRow, Mark, Outlet


class NotFoundError(CkmonError):
    """No stored article has that id or URL."""

    exit_code = 2


def find_article(session: Session, ref: str) -> ArticleRow:
    """The stored article with id `ref`, or whose URL (any variant) is `ref`."""
    row = None
    if ref.isdigit():
        row = session.get(ArticleRow, int(ref))
    elif "://" in ref:
        if problem := link_problem(ref.strip()):  # an unclosed [IPv6], a port out of range
            raise NotFoundError(f"not an article id or a readable URL: {ref!r} ({problem})")
        key = canonical_url(ref)
        row = session.scalars(
            select(ArticleRow).where(
                (ArticleRow.canonical_url == key) | (ArticleRow.url == ref.strip())
            )
        ).first()
    if row is None:
        raise NotFoundError(f"no stored article with id or URL {ref!r}")
    return row


def explain(
    session: Session, ref: str, rules: RelevanceRules, taxonomy: Taxonomy
) -> dict[str, Any]:
    """Stored verdicts beside a fresh computation with the current rules, the analyst's mark (which
    the digest follows), and the cluster."""
    row = find_article(session, ref)
    mark = session.get(Mark, row.id)
    fresh = score(row.title, row.text, rules, lead=row.lead)  # as a general outlet would
    members = session.execute(
        select(ArticleRow, Outlet.name)
        .join(Outlet, Outlet.id == ArticleRow.outlet_id, isouter=True)
        .where(ArticleRow.cluster_id == (row.cluster_id or row.id))
        .order_by(ArticleRow.published_at, ArticleRow.id)
    ).all()
    mine = shingle_hashes(f"{row.title}\n{row.text}")
    cluster = []
    for other, outlet in members:
        jac, contained = similarity(mine, shingle_hashes(f"{other.title}\n{other.text}"))
        reason = "itself" if other.id == row.id else "near copy"
        if reason == "near copy" and other.lang and row.lang and other.lang != row.lang:
            reason = (
                "translation (same figures)"  # linked by digest.analysis.figures, not by characters
            )
        if other.id != row.id and other.content_hash and other.content_hash == row.content_hash:
            reason = "same text"
        cluster.append(
            {
                "id": other.id,
                "outlet": outlet or "",
                "url": other.url,
                "published": other.published_at.isoformat() if other.published_at else None,
                "why": reason,
                "jaccard": round(jac, 3),
                "containment": round(contained, 3),
            }
        )
    return {
        "id": row.id,
        "url": row.url,
        "canonical_url": row.canonical_url,
        "title": row.title,
        "lang": row.lang,
        "published": row.published_at.isoformat() if row.published_at else None,
        "date_source": row.date_source,
        "relevant": row.relevant,
        "score": row.relevance_score,
        "evidence": row.evidence,
        "rescored_as_general_outlet": {"relevant": fresh.relevant, "score": fresh.score},
        "topics": row.topics,
        "mark": None
        if mark is None
        else {
            "relevant": mark.relevant,
            "topics": mark.topics,
            "at": mark.marked_at.isoformat(),
        },
        "in_digest": {
            "relevant": mark.relevant if mark is not None else row.relevant,
            "topics": topics_in_digest(row.topics, mark.topics if mark else None),
        },
        "topic_scores": topic_scores(row.title, row.text, taxonomy, lead=row.lead),
        "cluster": {"id": row.cluster_id or row.id, "members": cluster},
    }


def render_text(report: dict[str, Any]) -> str:
    """The report as lines a person reads in a terminal."""
    lines = [
        f"#{report['id']} {report['title']}",
        f"  {report['url']}",
        f"  language {report['lang'] or '?'}, published {report['published'] or '?'}"
        f" (from {report['date_source'] or 'nowhere'})",
        f"  relevant: {'yes' if report['relevant'] else 'no'} (score {report['score']})",
    ]
    for item in report["evidence"]:
        how = f" as {item['as']}" if item.get("as") else ""
        lines.append(
            f"    {item['country']:<8} in {item['where']}{how}: {', '.join(item['terms'])}"
        )
    now = report["rescored_as_general_outlet"]
    if now["relevant"] != report["relevant"]:
        lines.append(
            f"  today's rules, general outlet: relevant={now['relevant']} score={now['score']}"
        )
    scores = ", ".join(f"{k} {v}" for k, v in sorted(report["topic_scores"].items()))
    lines.append(f"  topics: {', '.join(report['topics']) or '-'}   (scores: {scores or 'none'})")
    if (mark := report["mark"]) is not None:
        topics = ", ".join(mark["topics"]) if mark["topics"] is not None else "the automatic ones"
        lines.append(
            f"  marked {'relevant' if mark['relevant'] else 'not relevant'} by hand"
            f" ({mark['at'][:10]}), topics: {topics or '-'}; the digest follows the mark"
        )
    cluster = report["cluster"]
    lines.append(f"  cluster {cluster['id']}: {len(cluster['members'])} article(s)")
    for m in cluster["members"]:
        lines.append(
            f"    #{m['id']} {m['outlet']} {m['published'] or '?'} {m['why']}"
            f" (jaccard {m['jaccard']}, containment {m['containment']}) {m['url']}"
        )
    return "\n".join(lines)
