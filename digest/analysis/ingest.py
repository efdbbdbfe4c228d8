"""One extracted article into the store: canonical URL → relevance → topics → cluster → save."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from digest.analysis.article import Article
from digest.analysis.dedupe import Deduper, content_hash
from digest.analysis.relevance import RelevanceRules, load_rules, score
from digest.analysis.rules import split_zones
from digest.analysis.topics import Taxonomy, load_taxonomy, tag
from digest.analysis.urls import canonical_url
from digest.crashpoints import crashpoint
from digest.store.claims import hold_for_transaction
from digest.store.engine import get_outlet, insert_article, utcnow
from digest.store.models import ArticleRow

log = logging.getLogger(__name__)

CLUSTER_LOCK = "ckmon:clusters"

# The statements of every stored article, built once: values go in as parameters, so SQLAlchemy
# reuses their compiled form instead of building and hashing new statements per article.
_BY_URL = select(ArticleRow.id).where(ArticleRow.canonical_url == bindparam("key"))
_BY_HASH = (
    select(ArticleRow.cluster_id)
    .where(ArticleRow.content_hash == bindparam("digest"))
    .order_by(ArticleRow.id)
    .limit(1)
)
_INDEXED = select(
    ArticleRow.id,
    ArticleRow.cluster_id,
    ArticleRow.title,
    ArticleRow.text,
    ArticleRow.lang,
    ArticleRow.published_at,
)
_NEWER = _INDEXED.where(ArticleRow.id > bindparam("after")).order_by(ArticleRow.id)
_RECENT = _INDEXED.where(ArticleRow.first_seen_at >= bindparam("since")).order_by(ArticleRow.id)
_TEXTS = select(ArticleRow.id, ArticleRow.title, ArticleRow.text).where(
    ArticleRow.id.in_(bindparam("ids", expanding=True))
)
_LEAD_CLUSTER = (
    update(ArticleRow)
    .where(ArticleRow.id == bindparam("article_id"))
    .values(cluster_id=bindparam("cluster"))
)


@dataclass
class IngestResult:
    status: str  # new | seen
    article_id: int | None
    relevant: bool = False
    score: float = 0.0
    topics: tuple[str, ...] = ()
    cluster_id: int | None = None


class Analyzer:
    """Rules, taxonomy and the duplicate index, loaded once per run and shared by every article."""

    def __init__(
        self, rules: RelevanceRules | None = None, taxonomy: Taxonomy | None = None
    ) -> None:
        self.rules = rules or load_rules()
        self.taxonomy = taxonomy or load_taxonomy()
        # The index keeps signatures only; texts for the exact check come from the session of
        # the last `refresh` (`ingest` refreshes right before it matches).
        self.deduper = Deduper(texts=self._stored_texts)
        self.max_id = 0
        self._session: Session | None = None
        # name -> (title, lang, row id) of outlets as last committed: saves a query per article
        self.outlets: dict[str, tuple[str, str, int]] = {}

    @classmethod
    def from_files(cls, rules: Path | None = None, taxonomy: Path | None = None) -> Analyzer:
        """An analyzer on the user's rule files (None: the shipped ones)."""
        return cls(load_rules(rules), load_taxonomy(taxonomy))

    def refresh(self, session: Session, days: int = 30, now: datetime | None = None) -> None:
        """Index articles stored since the last look, from this or any other process.

        The first call indexes the last `days`; later calls only what is new, so copies crawled by
        another outlet's spider (or another worker) still join their clusters.
        """
        self._session = session
        if self.max_id == 0:
            since = (now or utcnow()) - timedelta(days=days)
            rows = session.connection().execute(_RECENT, {"since": since})
        else:
            rows = session.connection().execute(_NEWER, {"after": self.max_id})
        for article_id, cluster_id, title, text, lang, published in rows:
            self.deduper.add(
                article_id, cluster_id or article_id, f"{title}\n{text}", lang or "", published
            )
            self.max_id = max(self.max_id, article_id)

    def _stored_texts(self, ids: list[int]) -> dict[int, str]:
        """The indexed texts (headline and body) of stored articles `ids`, for the exact check."""
        if self._session is None:
            return {}
        rows = self._session.connection().execute(_TEXTS, {"ids": ids})
        return {article_id: f"{title}\n{text}" for article_id, title, text in rows}


def ingest(
    article: Article,
    session: Session,
    analyzer: Analyzer,
    *,
    bilateral: bool = False,
    outlet_title: str = "",
    now: datetime | None = None,
) -> IngestResult:
    """Store `article` once under its canonical URL, scored, tagged and clustered; one transaction."""
    key = article.canonical_url or canonical_url(article.url)
    # Plain SQL statements on the session's connection and transaction: none of them needs the
    # ORM (no objects loaded), which would add its own bookkeeping to each.
    db = session.connection()
    existing = db.scalar(_BY_URL, {"key": key})
    if existing is not None:
        return IngestResult("seen", existing)
    zones = split_zones(article.title, article.text, article.lead)  # read by both
    verdict = score(
        article.title,
        article.text,
        analyzer.rules,
        lead=article.lead,
        bilateral=bilateral,
        zones=zones,
    )
    # Topics are kept for relevant articles only (the digest shows no other); `ckmon explain`
    # computes an irrelevant article's topic scores itself when asked.
    topics = (
        tag(article.title, article.text, analyzer.taxonomy, lead=article.lead, zones=zones)
        if verdict.relevant
        else []
    )
    digest_hash = content_hash(article.text) if article.text else ""
    cluster_id = None
    # One worker at a time decides clusters: a copy stored by another worker a moment ago is seen.
    hold_for_transaction(session, CLUSTER_LOCK)
    if digest_hash:  # the same text under another URL: a verbatim copy
        cluster_id = db.scalar(_BY_HASH, {"digest": digest_hash})
    if cluster_id is None:
        analyzer.refresh(session, now=now)
        cluster_id = analyzer.deduper.match(
            _dedupe_text(article), lang=article.lang, published=article.published
        )
    outlet_name = article.outlet or "unknown"
    known = analyzer.outlets.get(outlet_name)
    if known is not None and known[:2] == (outlet_title, article.lang):
        outlet_id = known[2]
    else:
        outlet_id = get_outlet(session, outlet_name, outlet_title, article.lang).id
    article_id = insert_article(
        session,
        {
            "canonical_url": key,
            "url": article.url,
            "outlet_id": outlet_id,
            "title": article.title,
            "text": article.text,
            "lead": article.lead,
            "authors": article.authors,
            "lang": article.lang,
            "image": article.image,
            "published_at": article.published,
            "date_source": article.date_source,
            "first_seen_at": now or utcnow(),
            "content_hash": digest_hash,
            "relevant": verdict.relevant,
            "relevance_score": verdict.score,
            "evidence": verdict.evidence,
            "topics": topics,
            "cluster_id": cluster_id,  # None: a story of its own, led by this article
        },
    )
    if article_id is None:  # another worker stored the same URL a moment ago
        session.rollback()
        other = session.connection().scalar(_BY_URL, {"key": key})
        return IngestResult("seen", other)
    if cluster_id is None:
        cluster_id = article_id
        db.execute(_LEAD_CLUSTER, {"article_id": article_id, "cluster": cluster_id})
    crashpoint("article-before-commit")  # tests: killed with the article written, not committed
    session.commit()
    analyzer.outlets[outlet_name] = (outlet_title, article.lang, outlet_id)  # committed: reusable
    return IngestResult(
        "new", article_id, verdict.relevant, verdict.score, tuple(topics), cluster_id
    )


def _dedupe_text(article: Article) -> str:
    """What near-duplicate detection compares: the headline and the body."""
    return f"{article.title}\n{article.text}"
